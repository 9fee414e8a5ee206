/** The parts of node-red-node-test-helper (no published types) that the tests use. */
declare module 'node-red-node-test-helper' {
  type TestNode = {
    id: string;
    on(event: string, listener: (...args: never[]) => void): void;
    receive(msg: unknown): void;
    [key: string]: unknown;
  };
  interface Helper {
    init(nodeRedRuntime: string, userSettings?: Record<string, unknown>): void;
    settings(settings: Record<string, unknown>): void;
    startServer(done: () => void): void;
    stopServer(done: () => void): void;
    load(modules: unknown, flow: unknown, credentials?: unknown): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): TestNode;
    clearFlows(): Promise<void>;
    /** Deploys a changed flow; type 'nodes' restarts only the nodes whose config changed. */
    setFlows(flow: unknown, type?: 'full' | 'flows' | 'nodes', credentials?: unknown): Promise<void>;
    request(): unknown;
    url(): string;
  }
  const helper: Helper;
  export default helper;
}
