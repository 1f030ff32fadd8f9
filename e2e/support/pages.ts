import type { Page } from 'playwright-core';

/** Page object for staff sign-in, including the policy acknowledgement a first sign-in meets. */
export class SignInPage {
  constructor(private readonly page: Page) {}

  async signIn(baseUrl: string, username: string, password: string): Promise<void> {
    await this.page.goto(`${baseUrl}/sign-in`);
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.waitForLoadState('load');
  }

  /** On /policy, reads nothing and accepts: tests that care about the text check it themselves. */
  async acknowledgePolicyIfAsked(): Promise<void> {
    if (new URL(this.page.url()).pathname !== '/policy') return;
    await this.page.getByRole('button', { name: 'I have read and understood this policy' }).click();
    await this.page.waitForLoadState('load');
  }

  async signInAndAcknowledge(baseUrl: string, username: string, password: string): Promise<void> {
    await this.signIn(baseUrl, username, password);
    await this.acknowledgePolicyIfAsked();
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out' }).click();
    await this.page.waitForURL(/\/sign-in/);
  }
}

/** Page objects for the authenticator-app pages. */
export class MfaPages {
  constructor(private readonly page: Page) {}

  /** The typed key shown on the setup page, without spaces. */
  async readSetupKey(): Promise<string> {
    await this.page.getByText('I cannot scan the code').click();
    return ((await this.page.getByTestId('mfa-secret').textContent()) ?? '').replace(/\s/g, '');
  }

  async enterCode(code: string, button: 'Confirm and continue' | 'Continue'): Promise<void> {
    await this.page.getByLabel('Security code').fill(code);
    await this.page.getByRole('button', { name: button }).click();
    await this.page.waitForLoadState('load');
  }
}
