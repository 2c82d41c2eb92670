import type { Command } from 'commander';
import type { CliContext } from '../cli.js';

/** `qoima calendar …` (being built). */
export function registerCalendarCommands(_program: Command, _ctx: CliContext): void {}
