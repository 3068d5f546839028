// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
// uPlot draws on a 2D canvas, which jsdom lacks (the scaffold stubs getContext to return
// nothing): a recording mock context lets the real uPlot run, and tests can read what was drawn.
import 'jest-canvas-mock';
