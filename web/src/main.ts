/**
 * The browser lab's shell: three views (normalization lab, sigmoid explorer, report) switched without
 * reloading, every setting mirrored into the URL (so a link reproduces an experiment), and training
 * kept alive while another view is shown.
 */
import './style.css';
import { h } from './dom.js';
import { LabView } from './lab/view.js';
import { ReportView } from './report/view.js';
import { formatSettings, parseSettings, VIEWS, type AppSettings, type View } from './settings.js';
import { SigmoidView } from './sigmoid/view.js';
import { wasmUrl } from './wasm-url.js';

const VIEW_TITLES: Record<View, string> = { lab: 'Normalization lab', sigmoid: 'Sigmoid explorer', report: 'Report' };

const { settings, problems } = parseSettings(location.search);
const state: AppSettings = settings;

function writeUrl(push = false): void {
  const url = `${location.pathname}${formatSettings(state)}`;
  if (url !== `${location.pathname}${location.search}`) history[push ? 'pushState' : 'replaceState'](null, '', url);
}

async function availableDatasets(): Promise<Set<string>> {
  try {
    const response = await fetch('/api/datasets');
    const body = (await response.json()) as { datasets: { name: string; splits: { train: unknown; test: unknown } }[] };
    return new Set(body.datasets.filter((d) => d.splits.train && d.splits.test).map((d) => d.name));
  } catch {
    return new Set(['fashion-mnist', 'mnist']);
  }
}

const lab = new LabView(
  state.lab,
  {
    wasmUrl,
    onSettingsChange(next) {
      state.lab = next;
      writeUrl();
    },
  },
  availableDatasets(),
);
const sigmoid = new SigmoidView(state.sigmoid, (next) => {
  state.sigmoid = next;
  writeUrl();
});
const report = new ReportView();
const views: Record<View, { root: HTMLElement; shown(): void }> = { lab, sigmoid, report };

const nav = h(
  'nav',
  { 'aria-label': 'views' },
  ...VIEWS.map((v) =>
    h('a', { href: `?view=${v}`, 'data-view': v, onclick: (e: Event) => {
      e.preventDefault();
      show(v, true);
    } }, VIEW_TITLES[v]),
  ),
);

function show(view: View, push = false): void {
  state.view = view;
  for (const v of VIEWS) {
    views[v].root.hidden = v !== view;
    const link = nav.querySelector<HTMLAnchorElement>(`[data-view=${v}]`)!;
    if (v === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${VIEW_TITLES[view]} · normlab`;
  writeUrl(push);
  views[view].shown();
}

const app = document.getElementById('app')!;
app.replaceChildren(
  h('header', { className: 'top' }, h('h1', {}, h('span', { className: 'logo' }, 'normlab'), h('span', { className: 'tagline' }, 'why input normalization matters')), nav),
  problems.length ? h('p', { className: 'url-problems', role: 'alert' }, `Some settings in the link were not understood and were left at their defaults: ${problems.join('; ')}.`) : '',
  h('main', {}, lab.root, sigmoid.root, report.root),
  h('footer', {}, 'Training runs in Web Workers in this browser, with the same engine as the normlab CLI. ', h('a', { href: 'https://github.com/zalandoresearch/fashion-mnist' }, 'Fashion-MNIST'), ' by Zalando Research (MIT).'),
);
show(state.view);

window.addEventListener('popstate', () => {
  const next = parseSettings(location.search).settings;
  show(next.view);
});

/** For the e2e test and for the curious: `normlab.lab.snapshot()` in the console. */
(window as unknown as { normlab: unknown }).normlab = { lab, sigmoid, report, settings: state, wasmUrl };
