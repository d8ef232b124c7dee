/** The lab's report writer: results.json, CSV tables, SVG/PNG charts and index.html in one folder. */
export { writeReport, safeName, toJson, type WrittenReport } from './writer.js';
export { tableToCsv, parseCsv, csvField } from './csv.js';
export { toVegaLite, scaleType, axisType, LOG_SPAN } from './vega-spec.js';
export { renderSvg, renderPng } from './render.js';
export { reportHtml, escapeHtml } from './html.js';
export { formatNumber, formatCell, columnHeader } from './format.js';
export { singleRunReport, singleRunFinding, singleRunCharts } from './single-run.js';
