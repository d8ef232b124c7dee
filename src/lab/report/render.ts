/**
 * Rendering: vega-lite spec → SVG (vega-lite compile, then a headless vega
 * View with renderer 'none', so no canvas or browser is needed) and SVG → PNG
 * (resvg, a Rust rasteriser shipped as a prebuilt N-API module; it reads the
 * system fonts, so nothing is fetched from the network).
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';
import { Resvg } from '@resvg/resvg-js';

export async function renderSvg(vegaLiteSpec: Record<string, unknown>): Promise<string> {
  const { spec } = compile(vegaLiteSpec as unknown as TopLevelSpec);
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at `scale` × the SVG's size (2 = sharp on high-density screens). */
export function renderPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, { font: { loadSystemFonts: true }, fitTo: { mode: 'zoom', value: scale }, background: 'white' });
  return r.render().asPng();
}
