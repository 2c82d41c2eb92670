import { AppError, type MessageParams } from '../errors.js';

/**
 * Errors of the git transport, with their messages in the `git` namespace
 * (templates/locales/<lang>/git.json, `git.errors.<code>`); rendered by the one error handler.
 */
export class GitError extends AppError {
  constructor(status: number, code: string, params: MessageParams = {}) {
    super(status, code, params);
  }
  override get messageKey(): string {
    return `git.errors.${this.code}`;
  }
}
