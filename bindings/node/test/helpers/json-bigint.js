'use strict'
// A JSON parser that keeps integers beyond Number.MAX_SAFE_INTEGER as
// BigInt: written independently of the binding's Rust one, so the tests
// check one against the other. Node 20's JSON.parse cannot do this.

function parseJson(text) {
  let pos = 0

  const fail = () => {
    throw new SyntaxError(`malformed JSON at ${pos}`)
  }
  const skip = () => {
    while (/\s/.test(text[pos] ?? '')) pos++
  }
  const value = () => {
    skip()
    const c = text[pos]
    if (c === '{') {
      pos++
      const object = {}
      skip()
      if (text[pos] === '}') return pos++, object
      for (;;) {
        skip()
        const key = string()
        skip()
        if (text[pos++] !== ':') fail()
        Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true })
        skip()
        if (text[pos] === '}') return pos++, object
        if (text[pos++] !== ',') fail()
      }
    }
    if (c === '[') {
      pos++
      const array = []
      skip()
      if (text[pos] === ']') return pos++, array
      for (;;) {
        array.push(value())
        skip()
        if (text[pos] === ']') return pos++, array
        if (text[pos++] !== ',') fail()
      }
    }
    if (c === '"') return string()
    const literal = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(pos))
    if (!literal) fail()
    pos += literal[0].length
    const token = literal[0]
    if (token === 'true') return true
    if (token === 'false') return false
    if (token === 'null') return null
    if (/^-?\d+$/.test(token)) {
      const big = BigInt(token)
      const safe = big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
      return safe ? Number(token) : big
    }
    return Number(token)
  }
  const string = () => {
    const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(pos))
    if (!match) fail()
    pos += match[0].length
    return JSON.parse(match[0])
  }

  const result = value()
  skip()
  if (pos !== text.length) fail()
  return result
}

module.exports = { parseJson }
