/** Hash slots of a Redis Cluster. */
export const REDIS_CLUSTER_SLOTS = 16_384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/**
 * The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its hash
 * tag (the part between the first `{` and the next `}`, when not empty), modulo
 * 16,384 — the rule of the Cluster specification. The panic clock groups the keys
 * of one batched script by it, since a script may only touch keys of one slot.
 */
export function redisKeySlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % REDIS_CLUSTER_SLOTS;
}
