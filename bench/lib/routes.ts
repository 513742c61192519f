/**
 * The two workloads every benchmark measures, declared once: the peer comparison, the raw-sharp
 * ceiling (bench/lib/raw-sharp.ts) and ipx's URL (bench/lib/ipx-peer.ts) do the same work.
 */
export const ROUTES = {
  /** One 800 px JPEG q80, answered in the response. */
  resize: '/v1/resize?widths=800&format=jpeg&quality=80',
  /** Three JPEG widths, stored into S3. */
  images: '/v1/images?widths=320,640,1280&format=jpeg',
} as const;
