/**
 * V8 flags for the launcher (`npm start`, the container): a young generation of at most 2 MB per
 * semi-space instead of V8's 16 MB, and heap sizing that favours memory, keep `cellrig start` with the
 * panel open under its 150 MB RSS budget on a Pi (bench/panel measures both with and without them).
 */
export const LAUNCHER_NODE_FLAGS = ['--max-semi-space-size=2', '--optimize-for-size'] as const;

/**
 * Environment for the launcher, read by glibc at process start (so set by whatever starts it): at most
 * two malloc arenas instead of one per thread (Node-RED's thread, libuv's pool, the analysis workers),
 * about 6 MB less RSS with the panel open (bench/panel); and freed memory given back to the system from
 * 128 KB up, where glibc would otherwise raise both thresholds as the process frees large blocks and
 * keep what it freed (3 to 4 MB less RSS without a browser, 142 -> 138 MB median).
 */
export const LAUNCHER_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '131072',
} as const;
