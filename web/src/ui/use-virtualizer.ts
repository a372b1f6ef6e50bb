import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
} from '@tanstack/virtual-core';
import type { RefObject } from 'preact';
import { useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';

export interface VirtualListOptions {
  count: number;
  /** The element that scrolls (the sidebar, the main area): one per page region. */
  scroller: () => HTMLElement | null;
  /** The list's own element, somewhere inside the scroller, below whatever comes first. */
  list: RefObject<HTMLElement | null>;
  /** A first guess of a row's height; each drawn row is then measured. */
  estimateSize: number;
  getItemKey: (index: number) => string | number;
  /** Rows drawn beyond the visible ones, each way: what keyboard and fast scrolling meet first. */
  overscan?: number;
}

/**
 * `@tanstack/virtual-core` for Preact: the rows of a long list that are on screen, and the
 * space above and below them, so that the DOM holds a screenful however long the list.
 * A list need not be the only thing in its scroller: the distance from the scroller's top to
 * the list (its `scrollMargin`) is read after each render and on each scroll, as what is
 * above it (a heading, another list) grows and shrinks.
 */
export function useVirtualList(options: VirtualListOptions) {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const margin = useRef(0);
  const measureMargin = (): boolean => {
    const scroller = options.scroller();
    const list = options.list.current;
    if (scroller === null || list === null) return false;
    const offset = Math.round(
      list.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop,
    );
    if (offset === margin.current) return false;
    margin.current = offset;
    return true;
  };
  const resolved = {
    count: options.count,
    getScrollElement: options.scroller,
    estimateSize: () => options.estimateSize,
    getItemKey: options.getItemKey,
    overscan: options.overscan ?? 6,
    scrollMargin: margin.current,
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    onChange: () => {
      measureMargin();
      rerender(0);
    },
  };
  const [virtualizer] = useState(() => new Virtualizer<HTMLElement, HTMLElement>(resolved));
  virtualizer.setOptions(resolved);
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => {
    virtualizer._willUpdate();
    if (measureMargin()) rerender(0);
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0];
  const last = items.at(-1);
  return {
    virtualizer,
    items,
    /** Space for the rows above the drawn ones, and below them. */
    before: first === undefined ? 0 : first.start - margin.current,
    after:
      last === undefined
        ? 0
        : Math.max(0, virtualizer.getTotalSize() - (last.end - margin.current)),
    /** Whether the last row is drawn: time to read the next page. */
    atEnd: last !== undefined && last.index >= options.count - 1,
  };
}
