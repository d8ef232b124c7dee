/**
 * src/tcp: the TCP engine (docs/tcp.md). TcpLayer is the entry point: it
 * implements TransportProtocol for the IPv4 layer and creates Endpoints (the
 * user-call API the socket core builds on). The parts (sequence arithmetic,
 * RTT, ISN, congestion control, buffers, reassembly, SACK, delayed ACK) are
 * re-exported for tests, tools and alternative strategies.
 */
export * from './seq.js';
export * from './config.js';
export * from './mib.js';
export * from './isn.js';
export * from './rtt.js';
export * from './cc/index.js';
export * from './recovery.js';
export * from './send-buffer.js';
export * from './recv-buffer.js';
export * from './reassembly.js';
export * from './sack.js';
export * from './delack.js';
export * from './tcb.js';
export * from './demux.js';
export * from './listen.js';
export * from './input.js';
export * from './output.js';
export * from './timers.js';
export {
  Endpoint,
  NULL_OBSERVER,
  SHUT_RD,
  SHUT_WR,
  SHUT_RDWR,
  TCPI_OPT_ECN,
  TCPI_OPT_SACK,
  TCPI_OPT_TIMESTAMPS,
  TCPI_OPT_WSCALE,
  type EndpointObserver,
  type SendCopyMode,
  type TcpInfo,
} from './endpoint.js';
export * from './tcp-layer.js';
