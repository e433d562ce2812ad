/** A box in InternVL's coordinates (0–1000 on each axis), or in pixels. */
export interface GroundingBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** A point, in the same coordinates as boxes. */
export interface GroundingPoint {
  readonly x: number;
  readonly y: number;
}

/** One `<ref>label</ref>` and what follows it: boxes, quadrilaterals (OCR) or points. */
export interface GroundedObject {
  /** The text inside `<ref>…</ref>`, or undefined for a box with no reference before it. */
  readonly label: string | undefined;
  /** In 0–1000, as the model writes them. */
  readonly boxes: readonly GroundingBox[];
  /** `<quad>[[x1, y1, x2, y2, x3, y3, x4, y4]]</quad>` corners, in 0–1000. */
  readonly quads: readonly (readonly GroundingPoint[])[];
  /** Bare `[[x, y]]` pairs inside a `<box>`, in 0–1000. */
  readonly points: readonly GroundingPoint[];
  /** `boxes` in pixels of an image of the given size (with `parseGrounding(text, { width, height })`). */
  readonly pixelBoxes?: readonly GroundingBox[];
}

const REGION = /(?:<ref>([\s\S]*?)<\/ref>\s*)?<(box|quad)>([\s\S]*?)<\/\2>/g;
const NUMBERS = /\[\s*(-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?)*)\s*\]/g;

/**
 * The grounded objects of an InternVL answer: each `<ref>label</ref><box>[[x1, y1, x2, y2], …]</box>`
 * (or `<quad>`, or a box with no reference), with coordinates in InternVL's 0–1000 range and,
 * given the image size, boxes in pixels (`x · width / 1000`). Malformed regions are skipped.
 *
 * @example
 * ```ts
 * parseGrounding('<ref>a cat</ref><box>[[100, 200, 500, 800]]</box>', { width: 640, height: 480 });
 * // [{ label: 'a cat', boxes: [{ x1: 100, y1: 200, x2: 500, y2: 800 }], quads: [], points: [],
 * //    pixelBoxes: [{ x1: 64, y1: 96, x2: 320, y2: 384 }] }]
 * ```
 */
export function parseGrounding(
  text: string,
  imageSize?: { readonly width: number; readonly height: number },
): GroundedObject[] {
  const objects: GroundedObject[] = [];
  for (const [, label, kind, body] of text.matchAll(REGION)) {
    const boxes: GroundingBox[] = [];
    const quads: GroundingPoint[][] = [];
    const points: GroundingPoint[] = [];
    for (const [, list] of body!.matchAll(NUMBERS)) {
      const values = list!.split(',').map((value) => Number(value.trim()));
      if (kind === 'quad' && values.length === 8) {
        quads.push([0, 2, 4, 6].map((i) => ({ x: values[i]!, y: values[i + 1]! })));
      } else if (kind === 'box' && values.length === 4) {
        const [x1, y1, x2, y2] = values as [number, number, number, number];
        boxes.push({ x1, y1, x2, y2 });
      } else if (kind === 'box' && values.length === 2) {
        points.push({ x: values[0]!, y: values[1]! });
      }
    }
    if (boxes.length + quads.length + points.length === 0) continue;
    const object: GroundedObject = { label: label?.trim(), boxes, quads, points };
    objects.push(
      imageSize
        ? {
            ...object,
            pixelBoxes: boxes.map((box) => ({
              x1: (box.x1 * imageSize.width) / 1000,
              y1: (box.y1 * imageSize.height) / 1000,
              x2: (box.x2 * imageSize.width) / 1000,
              y2: (box.y2 * imageSize.height) / 1000,
            })),
          }
        : object,
    );
  }
  return objects;
}

/** The grounding prompt as InternVL's documentation words it: locate what a phrase describes. */
export function groundingPrompt(phrase: string): string {
  return `Please provide the bounding box coordinate of the region this sentence describes: <ref>${phrase}</ref>`;
}
