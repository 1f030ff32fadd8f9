import type { Page } from 'playwright-core';

/** Page object for the staff sign-in page. */
export class SignInPage {
  constructor(private readonly page: Page) {}

  async signIn(baseUrl: string, username: string, password: string): Promise<void> {
    await this.page.goto(`${baseUrl}/sign-in`);
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.waitForLoadState('load');
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out' }).click();
    await this.page.waitForURL(/\/sign-in/);
  }
}
