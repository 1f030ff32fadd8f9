import type { Page } from 'playwright-core';

/** Answers one question of the DASH panel by its number (or follow-up id such as "4a"). */
export async function answerRiskQuestion(page: Page, question: string, value: 'Yes' | 'No' | 'Not known'): Promise<void> {
  await page
    .getByTestId(`risk-question-${question}`)
    .locator(`input[name="q-${question}"]`)
    .and(page.getByLabel(value, { exact: true }))
    .check();
}

/** Waits until every change on the DASH panel is saved (its data-save-state). */
export async function waitRiskSaved(page: Page): Promise<void> {
  await page
    .locator('[data-risk-form][data-save-state="saved"]')
    .waitFor({ timeout: 10_000 })
    .catch(async (error: Error) => {
      throw new Error(
        `${error.message}; status: ${await page.getByTestId('risk-save-status').textContent()}; errors: ${await page.getByTestId('risk-errors').textContent()}`,
      );
    });
}
