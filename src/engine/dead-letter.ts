import { boundedFieldCopy } from "../events/bounded-fields.ts"
import type { AnyStage, Emission, ParkInfo, RawEntry } from "./stage.ts"

/**
 * A dead-letter entry: why and where it failed, plus every original field under `field.<name>`
 * (binary-safe), so `lexstream dlq retry` can put it back exactly as it was; past the first 64
 * fields the rest travel in `overflow_fields` (src/events/bounded-fields.ts).
 */
export const deadLetterEmission = (
  deadLetterStream: string,
  stage: AnyStage<unknown>,
  entry: RawEntry,
  info: ParkInfo,
  workKey: string
): Emission => {
  const fields: Array<string | Buffer> = [
    "stage", stage.name,
    "stream", stage.inputStream,
    "entry_id", entry.id,
    "work_key", workKey,
    "reason", info.reason.slice(0, 8_000),
    "deliveries", String(info.deliveries),
    "failed_at", String(Date.now())
  ]
  fields.push(...boundedFieldCopy(entry.fields))
  return { stream: deadLetterStream, fields }
}
