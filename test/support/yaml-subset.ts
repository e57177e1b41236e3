/**
 * A parser for the block-style subset of YAML that docker-compose.yml is written in: nested
 * mappings, sequences of scalars or mappings, plain and quoted scalars, comments. No YAML parser is
 * among the project's dependencies, and one test file does not justify adding one; anything outside
 * the subset (flow collections, anchors, multi-line strings, tabs) is refused with its line number,
 * never guessed at. Scalars stay strings; `key:` with nothing under it is null.
 */
export type YamlValue = string | null | Array<YamlValue> | { [key: string]: YamlValue }

interface Line {
  readonly number: number
  readonly indent: number
  readonly text: string
}

const stripComment = (raw: string): string => {
  let quote: string | undefined
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!
    if (quote !== undefined) {
      if (char === quote) quote = undefined
    } else if (char === '"' || char === "'") {
      quote = char
    } else if (char === "#" && (i === 0 || raw[i - 1] === " ")) {
      return raw.slice(0, i)
    }
  }
  return raw
}

const scalar = (text: string, line: number): string => {
  const value = text.trim()
  if (/^(["']).*\1$/.test(value)) return value.slice(1, -1)
  if (/^[[{&*!|>]/.test(value)) throw new Error(`line ${line}: '${value}' is outside the supported YAML subset (block style, plain or quoted scalars)`)
  return value
}

/** `key: rest` → [key, rest]; undefined when the text is not a mapping entry. */
const entry = (text: string): [string, string] | undefined => {
  const match = /^("[^"]*"|'[^']*'|[^\s"'#][^:]*?):(?:\s+(.*))?$/.exec(text)
  if (match === null) return undefined
  return [match[1]!.replace(/^(["'])(.*)\1$/, "$2"), match[2] ?? ""]
}

export const parseYamlSubset = (source: string): YamlValue => {
  const lines: Array<Line> = []
  source.split("\n").forEach((raw, index) => {
    if (/^\s*\t/.test(raw)) throw new Error(`line ${index + 1}: tabs are not allowed for indentation`)
    const text = stripComment(raw).trimEnd()
    if (text.trim() === "" || text.trim() === "---") return
    lines.push({ number: index + 1, indent: text.length - text.trimStart().length, text: text.trimStart() })
  })
  let position = 0

  const block = (indent: number): YamlValue => {
    const first = lines[position]
    if (first === undefined || first.indent < indent) return null
    return first.text.startsWith("- ") || first.text === "-" ? sequence(first.indent) : mapping(first.indent)
  }

  /** A value after `key:` or `- `: inline, or the deeper block on the following lines. */
  const valueAfter = (inline: string, parentIndent: number, line: number): YamlValue =>
    inline.trim() === "" ? block(parentIndent + 1) : scalar(inline, line)

  const mapping = (indent: number): YamlValue => {
    const result: { [key: string]: YamlValue } = {}
    while (position < lines.length && lines[position]!.indent === indent) {
      const line = lines[position]!
      const pair = entry(line.text)
      if (pair === undefined) throw new Error(`line ${line.number}: expected 'key: value', got '${line.text}'`)
      if (pair[0] in result) throw new Error(`line ${line.number}: duplicate key '${pair[0]}'`)
      position++
      result[pair[0]] = valueAfter(pair[1], indent, line.number)
    }
    if (position < lines.length && lines[position]!.indent > indent) {
      throw new Error(`line ${lines[position]!.number}: unexpected indentation`)
    }
    return result
  }

  const sequence = (indent: number): YamlValue => {
    const result: Array<YamlValue> = []
    while (position < lines.length && lines[position]!.indent === indent && (lines[position]!.text.startsWith("- ") || lines[position]!.text === "-")) {
      const line = lines[position]!
      const rest = line.text.slice(1).trimStart()
      const pair = entry(rest)
      if (pair === undefined) {
        position++
        result.push(valueAfter(rest, indent, line.number))
      } else {
        // `- key: value` opens a mapping whose keys sit where `key` starts.
        lines[position] = { number: line.number, indent: indent + line.text.length - rest.length, text: rest }
        result.push(mapping(lines[position]!.indent))
      }
    }
    return result
  }

  const document = block(0)
  if (position < lines.length) throw new Error(`line ${lines[position]!.number}: unexpected indentation`)
  return document
}
