import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** One file the dashboard serves, loaded once at start. */
export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The package root: two levels above this module, from `src/server/` (tsx) and from `dist/server/` (built) alike. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const WEB_FILES: Record<string, { file: string; contentType: string }> = {
  'index.html': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  'dashboard.js': { file: 'dashboard.js', contentType: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'dashboard.css', contentType: 'text/css; charset=utf-8' },
};

const UPLOT_FILES: Record<string, { file: string; contentType: string }> = {
  'uplot.min.js': { file: 'uplot/dist/uPlot.iife.min.js', contentType: 'text/javascript; charset=utf-8' },
  'uplot.min.css': { file: 'uplot/dist/uPlot.min.css', contentType: 'text/css; charset=utf-8' },
};

/** The names `GET /assets/{file}` serves (the dashboard's page, script and styles, and uPlot's). */
export const DASHBOARD_ASSET_NAMES: readonly string[] = Object.freeze([...Object.keys(WEB_FILES), ...Object.keys(UPLOT_FILES)]);

/**
 * Loads the Brain Lab dashboard (HTML, JS, CSS from `src/web/`) and uPlot (from
 * `node_modules`, never a CDN) into memory. A missing file is reported in
 * `missing`, so the server starts anyway and says what is absent.
 */
export function loadDashboardAssets(webDir = `${PACKAGE_ROOT}src/web/`): { assets: Map<string, DashboardAsset>; missing: string[] } {
  const assets = new Map<string, DashboardAsset>();
  const missing: string[] = [];
  const require = createRequire(import.meta.url);
  const load = (name: string, path: () => string, contentType: string) => {
    try {
      const body = readFileSync(path());
      assets.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    } catch {
      missing.push(name);
    }
  };
  for (const [name, { file, contentType }] of Object.entries(WEB_FILES)) load(name, () => `${webDir}${file}`, contentType);
  for (const [name, { file, contentType }] of Object.entries(UPLOT_FILES)) load(name, () => require.resolve(file), contentType);
  return { assets, missing };
}
