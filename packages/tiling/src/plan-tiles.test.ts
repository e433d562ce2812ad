import { InvalidArgumentError } from '@ivl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidateGrids, closestGrid, planTiles } from './plan-tiles.js';
import { readGolden } from './test-support/fixtures.js';

type GridRow = [
  width: number,
  height: number,
  minTiles: number,
  maxTiles: number,
  columns: number,
  rows: number,
];

describe('planTiles', () => {
  it('should choose the same grid as the official dynamic_preprocess for every golden case', () => {
    const { cases } = readGolden<{ cases: GridRow[] }>('grids.golden.json');
    expect(cases.length).toBeGreaterThan(3000);
    const mismatches = cases.filter(([width, height, minTiles, maxTiles, columns, rows]) => {
      const { grid } = planTiles(width, height, { minTiles, maxTiles });
      return grid.columns !== columns || grid.rows !== rows;
    });
    expect(mismatches).toEqual([]);
  });

  it.each([
    [448, 448, 12, [1, 1], 1],
    [1000, 1000, 12, [3, 3], 10],
    [1000, 1000, 6, [2, 2], 5],
    [800, 600, 12, [4, 3], 13],
    [1920, 1080, 12, [4, 2], 9],
    [1920, 1080, 6, [2, 1], 3],
    [1080, 1920, 12, [2, 4], 9],
    [100, 1000, 12, [1, 10], 11],
    [3000, 100, 6, [6, 1], 7],
    [2480, 3508, 12, [2, 3], 7],
  ])(
    'should plan %i×%i with maxTiles %i as the spec table says',
    (width, height, maxTiles, grid, numTiles) => {
      const plan = planTiles(width, height, { maxTiles });
      expect([plan.grid.columns, plan.grid.rows]).toEqual(grid);
      expect(plan.numTiles).toBe(numTiles);
    },
  );

  it('should lay tiles out row-major and add the thumbnail last', () => {
    const plan = planTiles(1920, 1080);
    expect(plan.resizedWidthPx).toBe(1792);
    expect(plan.resizedHeightPx).toBe(896);
    expect(plan.tiles[1]).toEqual({ x: 448, y: 0, width: 448, height: 448 });
    expect(plan.tiles[4]).toEqual({ x: 0, y: 448, width: 448, height: 448 });
    expect(plan.thumbnail).toBe(true);
    expect(planTiles(1920, 1080, { thumbnail: false }).numTiles).toBe(8);
  });

  describe('when options are out of range', () => {
    it.each([
      [{ maxTiles: 0 }, 'maxTiles'],
      [{ maxTiles: 65 }, 'maxTiles'],
      [{ maxTiles: 2.5 }, 'maxTiles'],
      [{ minTiles: 7, maxTiles: 6 }, 'minTiles'],
      [{ tileSizePx: 0 }, 'tileSizePx'],
    ])('should throw a typed error for %o', (options, argument) => {
      try {
        planTiles(100, 100, options);
        expect.unreachable();
      } catch (error) {
        expect(InvalidArgumentError.isInstance(error)).toBe(true);
        expect((error as InvalidArgumentError).argument).toBe(argument);
        expect((error as Error).message).toMatch(/must be an integer in \[\d+, \d+\], got/);
      }
    });

    it('should reject zero, negative and fractional image sizes', () => {
      expect(() => planTiles(0, 10)).toThrow(/width must be a positive integer, got 0/);
      expect(() => planTiles(10, -3)).toThrow(/height must be a positive integer, got -3/);
      expect(() => planTiles(10.5, 3)).toThrow(InvalidArgumentError);
    });
  });

  describe('properties', () => {
    const size = fc.integer({ min: 1, max: 20_000 });
    const budget = fc.integer({ min: 1, max: 64 });

    it('should keep the grid tile count within [minTiles, maxTiles]', () => {
      fc.assert(
        fc.property(size, size, budget, budget, (width, height, a, b) => {
          const [minTiles, maxTiles] = a <= b ? [a, b] : [b, a];
          const { grid } = planTiles(width, height, { minTiles, maxTiles });
          const count = grid.columns * grid.rows;
          return count >= minTiles && count <= maxTiles;
        }),
      );
    });

    it('should pick a grid whose ratio is at least as close as every candidate', () => {
      fc.assert(
        fc.property(size, size, budget, (width, height, maxTiles) => {
          const { grid } = planTiles(width, height, { maxTiles });
          const aspect = width / height;
          const chosen = Math.abs(aspect - grid.columns / grid.rows);
          return candidateGrids(1, maxTiles).every((g) => chosen <= Math.abs(aspect - g.columns / g.rows));
        }),
      );
    });

    it('should resolve exact ratio ties toward the larger grid only while area > half the grid area', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 4000 }), budget, (side, maxTiles) => {
          const { grid } = planTiles(side, side, { maxTiles });
          const squares = candidateGrids(1, maxTiles).filter((g) => g.columns === g.rows);
          const expected = squares.reduce((best, g) =>
            side * side > 0.5 * 448 * 448 * g.columns * g.rows ? g : best,
          );
          return grid.columns === expected.columns && grid.rows === expected.rows;
        }),
      );
    });

    it('should not depend on the order of equal-count candidates', () => {
      fc.assert(
        fc.property(size, size, budget, (width, height, maxTiles) => {
          const sorted = candidateGrids(1, maxTiles);
          // Reverse within each tile count, as another set iteration order might.
          const reordered = [...sorted].sort(
            (a, b) => a.columns * a.rows - b.columns * b.rows || b.columns - a.columns,
          );
          const one = closestGrid(width, height, sorted, 448);
          const two = closestGrid(width, height, reordered, 448);
          return one.columns === two.columns && one.rows === two.rows;
        }),
      );
    });
  });
});
