/** A node of V8's sampling heap profile. */
export interface HeapProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: HeapProfileNode[]
}

const short = (url: string): string => {
  const i = url.indexOf('node_modules/')
  if (i >= 0) return url.slice(i + 13)
  const s = url.indexOf('/src/')
  if (s >= 0) return url.slice(s + 1)
  const b = url.indexOf('/bench/')
  return b >= 0 ? url.slice(b + 1) : url || '(native)'
}

/**
 * Prints a sampling heap profile's bytes per delivery (`deliveries` of them) in all, by file (top
 * 25) and by allocating function (top `top`), under `title`.
 */
export function printHeapSites(head: HeapProfileNode, deliveries: number, top: number, title: string): void {
  const bySite = new Map<string, number>()
  const byFile = new Map<string, number>()
  let total = 0
  const walk = (node: HeapProfileNode): void => {
    if (node.selfSize > 0) {
      const file = short(node.callFrame.url)
      const site = `${node.callFrame.functionName || '(anonymous)'} ${file}:${node.callFrame.lineNumber + 1}`
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize)
      byFile.set(file, (byFile.get(file) ?? 0) + node.selfSize)
      total += node.selfSize
    }
    for (const child of node.children) walk(child)
  }
  walk(head)
  const kb = (bytes: number): string => (bytes / deliveries / 1024).toFixed(2).padStart(6)
  console.log(`${title}: ${kb(total)} KB/delivery sampled (N=${deliveries})`)
  console.log('\nby file:')
  for (const [file, bytes] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${kb(bytes)}  ${file}`)
  console.log('\nby function:')
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${kb(bytes)}  ${site}`)
}
