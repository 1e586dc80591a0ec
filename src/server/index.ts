// The Stratum server: socket, connections, per-client objects and quotas, mapped onto a compositor.
export { StratumServer, startServer } from './server.js';
export type { ClientClosedEvent, ServerOptions } from './server.js';
export { DirectConsumer, flingerCompositor } from './compositor.js';
export type { CapturedImage, Compositor, CompositorClient, CompositorDisplay, DirectConsumerOptions } from './compositor.js';
export type { ConnectionStats } from './connection.js';
export { DEFAULT_SERVER_LIMITS } from './limits.js';
export type { ServerLimits } from './limits.js';
export { DEFAULT_SOCKET_NAME, resolveSocketPath } from './paths.js';
