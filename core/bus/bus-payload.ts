import type { BusChannel } from '../bus.ts';
import { StorageError } from '../errors.ts';

/** NOTIFY refuses payloads of 8000 bytes or more; the channel name and framing need a little of that. */
export const MAX_BUS_PAYLOAD_BYTES = 7900;

/**
 * The one encoding both buses use, so a payload too large for Postgres is refused by the in-process bus as well and a
 * deployment never learns of the limit only after moving to a real server.
 */
export function encodeBusPayload(channel: BusChannel, payload: Record<string, unknown>): string {
  const text = JSON.stringify(payload);
  if (Buffer.byteLength(text) > MAX_BUS_PAYLOAD_BYTES) {
    throw new StorageError(
      'bus_payload_too_large',
      `bus payload on ${channel} is ${Buffer.byteLength(text)} bytes (limit ${MAX_BUS_PAYLOAD_BYTES})`,
    );
  }
  return text;
}

/** Postgres channel names are per database; the prefix keeps ours apart from anything else listening there. */
export function pgChannel(channel: BusChannel): string {
  return `voxbridge_${channel}`;
}
