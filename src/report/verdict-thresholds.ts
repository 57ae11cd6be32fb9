/**
 * The thresholds that decide a finding's or a claim's verdict (findings.ts, findings-why.ts), each named
 * with the reason for its value, so a verdict never rests on a bare number. Accuracies are fractions.
 */
/** Within this much of chance accuracy a run has learned nothing (5 points: one epoch of a learning run is far above). */
export const AT_CHANCE_MARGIN = 0.05;
/** A gap in test accuracy smaller than this (2 points) is within seed-to-seed noise of one short run. */
export const NEGLIGIBLE_ACC_GAP = 0.02;
/** "No gap to recover": normalized and raw Adam within half a point, below any effect the sweep could show. */
export const NO_GAP = 0.005;
/** The raw/scaled first-layer pre-activation ratio is 255 in theory; above 50 the inputs' scale clearly dominates it. */
export const PREACTIVATION_RATIO_EXPECTED_ABOVE = 50;
/** Half the hidden ReLUs dead on every probe image: the layer has lost most of its capacity. */
export const DEAD_RELU_FRACTION = 0.5;
/** A probe loss 10× its initial value is an explosion, not noise (initial cross-entropy ≈ ln 10 ≈ 2.3). */
export const EXPLODING_PROBE_LOSS_FACTOR = 10;
/** A smaller learning rate that recovers ≥ 90% of the raw-input gap explains nearly all of it. */
export const GAP_MOSTLY_RECOVERED = 0.9;
/** Recovering more than 20% of the gap is a partial explanation; less is "little". */
export const GAP_PARTLY_RECOVERED = 0.2;
/** A saturated raw sigmoid run more than 1 point below its x/255 twin is "worse" (the subset tier's runs are averaged over seeds). */
export const SIGMOID_RAW_WORSE_BY = 0.01;
/** Init ÷ 255 plus the step rescale recover "the whole gap" when even the low end of their 95% interval is 80% (a few short subset runs cannot show 100%). */
export const BOTH_HALVES_RECOVER = 0.8;
/** The clipped-probability loss (tfjs) collapses raw Adam when even the top of the interval of its accuracy difference is 5 points down. */
export const CLIPPED_LOSS_COLLAPSE = 0.05;
