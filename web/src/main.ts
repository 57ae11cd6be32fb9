/**
 * The browser lab's shell: three views (normalization lab, sigmoid explorer, report) switched without
 * reloading, every setting mirrored into the URL (so a link reproduces an experiment), and training
 * kept alive while another view is shown.
 */
import './style.css';
import { DatasetStore } from './datasets/store.js';
import { h } from './dom.js';
import { LabView } from './lab/view.js';
import { ReportView } from './report/view.js';
import { formatSettings, parseSettings, VIEWS, type AppSettings, type View } from './settings.js';
import { SigmoidView } from './sigmoid/view.js';
import { isolateWithServiceWorker } from './isolation.js';
import { loadSiteConfig } from './site.js';
import { wasmMtUrl, wasmUrl } from './wasm-url.js';
import { WhyView } from './why/view.js';

const VIEW_TITLES: Record<View, string> = { lab: 'Normalization lab', why: 'Why?', sigmoid: 'Sigmoid explorer', report: 'Report' };

const { settings, problems } = parseSettings(location.search);
const state: AppSettings = settings;

function writeUrl(push = false): void {
  const url = `${location.pathname}${formatSettings(state)}`;
  if (url !== `${location.pathname}${location.search}`) history[push ? 'pushState' : 'replaceState'](null, '', url);
}

const { site, problem: siteProblem } = await loadSiteConfig();
if (siteProblem) console.warn(`normlab: ${siteProblem}; datasets come from the mirrors or picked files`);
if (await isolateWithServiceWorker(site.serviceWorker === true)) await new Promise(() => {}); // reloading
const store = new DatasetStore(site);

const lab = new LabView(
  state.lab,
  {
    wasmUrl,
    wasmMtUrl,
    onSettingsChange(next) {
      state.lab = next;
      writeUrl();
    },
  },
  store,
);
const sigmoid = new SigmoidView(state.sigmoid, (next) => {
  state.sigmoid = next;
  writeUrl();
});
const report = new ReportView(site.study);
const why = new WhyView(store, { wasmUrl, dataset: () => state.lab.dataset });
const views: Record<View, { root: HTMLElement; shown(): void }> = { lab, why, sigmoid, report };

const nav = h(
  'nav',
  { 'aria-label': 'views' },
  ...VIEWS.map((v) =>
    h(
      'a',
      {
        href: `?view=${v}`,
        'data-view': v,
        onclick: (e: Event) => {
          e.preventDefault();
          show(v, true);
        },
      },
      VIEW_TITLES[v],
    ),
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
  h(
    'header',
    { className: 'top' },
    h('h1', {}, h('span', { className: 'logo' }, 'normlab'), h('span', { className: 'tagline' }, 'why input normalization matters')),
    nav,
  ),
  problems.length
    ? h(
        'p',
        { className: 'url-problems', role: 'alert' },
        `Some settings in the link were not understood (each was left at its default unless said otherwise): ${problems.join('; ')}.`,
      )
    : '',
  h('main', {}, lab.root, why.root, sigmoid.root, report.root),
  h(
    'footer',
    {},
    'Training runs in Web Workers in this browser, with the same engine as the normlab CLI. ',
    h('a', { href: 'https://github.com/zalandoresearch/fashion-mnist' }, 'Fashion-MNIST'),
    ' by Zalando Research (MIT).',
  ),
);
show(state.view);

window.addEventListener('popstate', () => {
  const next = parseSettings(location.search).settings;
  show(next.view);
});

/** For the e2e test and for the curious: `normlab.lab.snapshot()` in the console. */
(window as unknown as { normlab: unknown }).normlab = { lab, why, sigmoid, report, settings: state, wasmUrl, site, store };
