/**
 * The how-to of Switch to OAuth (creating the External Client App): the README's "Life after tokens" section. The
 * README ships inside the extension, so it is opened from there in VS Code's Markdown preview, scrolled to the
 * section: it works offline, in code-server and on every remote, where a web link may not (the package's repository
 * URL is not a public page). Without the Markdown extension the README opens as text at the section's heading.
 */
import * as vscode from 'vscode';

/** The README heading the how-to lives under (its first words; the anchor is computed from the whole heading). */
export const OAUTH_HELP_HEADING = /^#{1,6}\s+(Life after tokens\b.*)$/im;

/** GitHub's / VS Code's heading slug: lower case, punctuation dropped, spaces to "-". */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/** Where the how-to is: the bundled README, the section's anchor and its line (0-based). */
export async function oauthHelpLocation(
  extensionUri: vscode.Uri,
): Promise<{ readme: vscode.Uri; anchor: string; line: number }> {
  const readme = vscode.Uri.joinPath(extensionUri, 'README.md');
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(readme));
  const m = OAUTH_HELP_HEADING.exec(text);
  if (!m) return { readme, anchor: '', line: 0 };
  return {
    readme,
    anchor: headingSlug(m[1]!),
    line: text.slice(0, m.index).split('\n').length - 1,
  };
}

/** Opens the how-to: the README's Markdown preview at "Life after tokens" (else the README as text at it). */
export async function openOAuthHelp(extensionUri: vscode.Uri): Promise<'preview' | 'text'> {
  const { readme, anchor, line } = await oauthHelpLocation(extensionUri);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', anchor ? readme.with({ fragment: anchor }) : readme);
    return 'preview';
  } catch {
    const pos = new vscode.Position(line, 0);
    await vscode.window.showTextDocument(readme, { selection: new vscode.Range(pos, pos), preview: true });
    return 'text';
  }
}
