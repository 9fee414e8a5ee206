/**
 * What `cellrig start` leaves out of Node-RED's palette (its `nodesExcludes`: core node files and node
 * modules), in three groups by reason. docs/security.md lists them for the researcher who misses one.
 */

/**
 * Core nodes a deploy could run commands or write files with: the installation record and the
 * credential key sit beside the flows (docs/security.md).
 */
export const UNSAFE_CORE_NODES = ['90-exec.js', '10-file.js'] as const;

/**
 * Core nodes for formats and protocols the rig does not speak, whose libraries Node-RED loads at start
 * whether a flow uses them or not: html (cheerio), http request (cookie jar, form-data, proxy agents)
 * and xml (xml2js): together 5.5 MB of the Node-RED thread's live heap and 200 modules (measured after
 * a full collection; the edge process's RSS budget, docs/panel.md). yaml stays: template loads its parser
 * anyway. What a rig sends out goes on MQTT (mqtt in/out stay), which is what its lab's services read.
 */
export const UNUSED_CORE_NODES = ['70-HTML.js', '21-httprequest.js', '70-XML.js'] as const;

/**
 * Node modules beside cellrig in node_modules that are not the rig's: node-red-contrib-influxdb is a dev
 * dependency for bench/telemetry's comparison, and would hold its InfluxDB client in the rig's memory.
 */
export const DEV_ONLY_MODULES = ['node-red-contrib-influxdb'] as const;

export const NODES_EXCLUDED: string[] = [...UNSAFE_CORE_NODES, ...UNUSED_CORE_NODES, ...DEV_ONLY_MODULES];
