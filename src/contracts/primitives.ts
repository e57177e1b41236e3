import { Schema } from "effect"

/** Field types every artifact contract uses, so "an offset" or "a page number" means one thing. */

/** A UTF-16 code-unit offset into the clean text (end exclusive where it ends a span), or an index. */
export const Offset = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** Pages are numbered from 1. */
export const PageNumber = Schema.Int.check(Schema.isGreaterThan(0))

/** A count in the stages' facts. */
export const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** How sure a stage is: 0..1. */
export const Confidence = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

/** `{ key: count }`, e.g. mentions by entity type; keys stay open so a new type or method never breaks a reader. */
export const CountsByKey = Schema.Record(Schema.String, Count)
