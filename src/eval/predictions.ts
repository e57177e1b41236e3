import type { CanonicalEntity } from "../contracts/index.ts"
import type { DocumentArtifacts } from "../pipeline/run-documents.ts"
import { DOCUMENT_ENDPOINT, type KeyDocument } from "./answer-key.ts"
import { type Endpoint, normalizeText, type PredictedEntity, type ScoredRelationship } from "./score.ts"

/**
 * What the pipeline claims about one document, in the scorer's terms. Entities are the canonicals
 * its mentions resolved to (named by canonical name, aliases and the mention texts); without a
 * resolution, the distinct mentions. Relationships come from the graph, their endpoints named the
 * same way.
 */

const formsByCanonical = (artifacts: DocumentArtifacts): Map<string, Array<string>> => {
  const forms = new Map<string, Array<string>>()
  const mentions = artifacts.mentions?.mentions ?? []
  const ids = artifacts.entities?.canonicalIds ?? []
  mentions.forEach((mention, i) => {
    const id = ids[i]
    if (id === undefined) return
    const list = forms.get(id) ?? []
    list.push(mention.text, ...(mention.normalized === undefined ? [] : [mention.normalized]))
    forms.set(id, list)
  })
  return forms
}

const namesOf = (entity: CanonicalEntity, forms: Map<string, Array<string>>) => [entity.name, ...(entity.aliases ?? []), ...(forms.get(entity.id) ?? [])]

export const predictedEntities = (artifacts: DocumentArtifacts): Array<PredictedEntity> => {
  const canonicals = artifacts.entities?.canonicals
  if (Array.isArray(canonicals)) {
    const forms = formsByCanonical(artifacts)
    return canonicals.filter((entity) => entity.type !== "DOCUMENT").map((entity) => ({ type: entity.type, names: namesOf(entity, forms) }))
  }
  const distinct = new Map<string, PredictedEntity>()
  for (const mention of artifacts.mentions?.mentions ?? []) {
    const key = `${mention.type}\u0000${normalizeText(mention.text)}`
    if (!distinct.has(key)) distinct.set(key, { type: mention.type, names: [mention.text, ...(mention.normalized === undefined ? [] : [mention.normalized])] })
  }
  return [...distinct.values()]
}

export const predictedRelationships = (artifacts: DocumentArtifacts): Array<ScoredRelationship> => {
  const graph = artifacts.graph
  if (!graph || !Array.isArray(graph.relationships)) return []
  const forms = formsByCanonical(artifacts)
  const nodes = new Map<string, CanonicalEntity>()
  for (const node of [...(artifacts.entities?.canonicals ?? []), ...(graph.nodes ?? [])]) nodes.set(node.id, node)
  const endpoint = (id: string): Endpoint => {
    const node = nodes.get(id)
    if (!node) return { names: [] }
    return node.type === "DOCUMENT" ? { document: true } : { names: namesOf(node, forms) }
  }
  return graph.relationships.map((r) => ({ type: r.type, source: endpoint(r.sourceId), target: endpoint(r.targetId) }))
}

/** The key's relationships with endpoints spelled out: DOCUMENT, or the named entity's text and aliases. */
export const expectedRelationships = (doc: KeyDocument): Array<ScoredRelationship> => {
  const byText = new Map(doc.entities.map((entity) => [entity.text, entity]))
  const endpoint = (name: string): Endpoint => {
    if (name === DOCUMENT_ENDPOINT) return { document: true }
    const entity = byText.get(name)
    return { names: entity ? [entity.text, ...(entity.aliases ?? [])] : [name] }
  }
  return doc.relationships.map((r) => ({ type: r.type, source: endpoint(r.source), target: endpoint(r.target) }))
}
