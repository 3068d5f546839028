import { css } from '@emotion/css';

/**
 * Text read by screen readers but not shown: what the panel says with colour, italics or a
 * glyph (a window in progress, ↻ for corrections) also said in words. The usual clip recipe;
 * `display: none` or `visibility: hidden` would hide it from screen readers too.
 */
export const visuallyHidden = css({
  position: 'absolute',
  width: 1,
  height: 1,
  padding: 0,
  margin: -1,
  overflow: 'hidden',
  clipPath: 'inset(50%)',
  whiteSpace: 'nowrap',
  border: 0,
});
