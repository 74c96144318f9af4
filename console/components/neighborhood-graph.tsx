// An entity's neighbourhood as an SVG graph. d3-force lays it out (a fixed number of ticks from
// d3's deterministic start, so the same answer draws the same picture); Preact draws it. Each
// entity is a link in the page (focusable, named for screen readers, a click or Enter opens its
// page, centred on it); each relation is a labelled line, dashed once superseded.
import { forceCenter, forceCollide, forceLink, forceManyBody, forceSimulation } from 'd3-force';
import type { SimulationLinkDatum, SimulationNodeDatum } from 'd3-force';
import { useMemo, useState } from 'preact/hooks';
import type { Neighborhood } from '../api-types';

interface Node extends SimulationNodeDatum {
  id: string;
  name: string;
  type: string;
  depth: number;
}

interface Link extends SimulationLinkDatum<Node> {
  id: string;
  predicate: string;
  text: string;
  superseded: boolean;
}

const TICKS = 300;
const MARGIN = 60;

function layout(data: Neighborhood): { nodes: Node[]; links: Link[] } {
  const nodes: Node[] = data.entities.map((e) => ({
    id: e.id,
    name: e.name,
    type: e.type,
    depth: e.depth,
  }));
  const known = new Set(nodes.map((n) => n.id));
  const links: Link[] = data.relations
    .filter((r) => known.has(r.subject.id) && known.has(r.object.id))
    .map((r) => ({
      id: r.id,
      source: r.subject.id,
      target: r.object.id,
      predicate: r.predicate,
      text: r.text,
      superseded: r.invalidAt !== null,
    }));
  const simulation = forceSimulation(nodes)
    .force(
      'link',
      forceLink<Node, Link>(links)
        .id((n) => n.id)
        .distance(110),
    )
    .force('charge', forceManyBody().strength(-420))
    .force('collide', forceCollide(36))
    .force('center', forceCenter(0, 0))
    .stop();
  simulation.tick(TICKS);
  return { nodes, links };
}

function end(point: string | number | Node): Node {
  return point as Node;
}

export function NeighborhoodGraph({ data }: { data: Neighborhood }) {
  const { nodes, links } = useMemo(() => layout(data), [data]);
  const [hovered, setHovered] = useState<string | null>(null);
  const xs = nodes.map((n) => n.x ?? 0);
  const ys = nodes.map((n) => n.y ?? 0);
  const minX = Math.min(...xs) - MARGIN;
  const minY = Math.min(...ys) - MARGIN;
  const width = Math.max(...xs) - minX + MARGIN;
  const height = Math.max(...ys) - minY + MARGIN;
  const touches = (link: Link) =>
    hovered !== null && (end(link.source).id === hovered || end(link.target).id === hovered);
  return (
    <svg
      class="graph"
      viewBox={`${minX} ${minY} ${width} ${height}`}
      role="group"
      aria-label={`Neighbourhood of ${data.center.name}: ${nodes.length} entities, ${links.length} relations`}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="28"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrow" />
        </marker>
      </defs>
      {links.map((link) => {
        const a = end(link.source);
        const b = end(link.target);
        return (
          <g
            key={link.id}
            class={`relation${link.superseded ? ' superseded' : ''}${touches(link) ? ' lit' : ''}`}
          >
            <title>{link.text}</title>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} marker-end="url(#arrow)" />
            <text x={((a.x ?? 0) + (b.x ?? 0)) / 2} y={((a.y ?? 0) + (b.y ?? 0)) / 2 - 4}>
              {link.predicate}
            </text>
          </g>
        );
      })}
      {nodes.map((node) => (
        <a
          key={node.id}
          href={`#/graph/${encodeURIComponent(node.id)}`}
          class={`entity type-${node.type}${node.id === data.center.id ? ' center' : ''}`}
          aria-label={`${node.name} (${node.type}, depth ${node.depth})`}
          onMouseEnter={() => setHovered(node.id)}
          onMouseLeave={() => setHovered(null)}
          onFocus={() => setHovered(node.id)}
          onBlur={() => setHovered(null)}
        >
          <circle cx={node.x} cy={node.y} r={node.id === data.center.id ? 20 : 14} />
          <text x={node.x} y={(node.y ?? 0) + 32}>
            {node.name}
          </text>
        </a>
      ))}
    </svg>
  );
}
