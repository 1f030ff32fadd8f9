// The redaction form's drawing aid (issue 15 §2): drag a rectangle on the still and the chosen row's x, y, width and
// height are filled in, in the picture's own pixels. Without this script the numeric fields work as they are, and the
// "Show this frame" form opens the still on its own.
const container = document.querySelector<HTMLElement>('[data-still]');
const image = container?.querySelector<HTMLImageElement>('[data-still-image]');
const form = document.querySelector<HTMLFormElement>('[data-redaction-form]');

if (container && image && form) {
  document.querySelector<HTMLElement>('[data-draw-hint]')?.removeAttribute('hidden');
  for (const label of document.querySelectorAll<HTMLElement>('[data-draw-choice]')) label.removeAttribute('hidden');
  const naturalWidth = Number(container.dataset.width) || image.naturalWidth;
  const naturalHeight = Number(container.dataset.height) || image.naturalHeight;
  const box = document.createElement('div');
  box.style.cssText = 'position:absolute;border:2px solid #d4351c;background:rgba(212,53,28,0.25);pointer-events:none;display:none';
  container.append(box);
  let start: { x: number; y: number } | undefined;

  const field = (name: string) => form.querySelector<HTMLInputElement>(`[name="${name}"]`);
  const chosenRow = () => form.querySelector<HTMLInputElement>('input[name="draw-row"]:checked')?.value ?? '0';
  const local = (event: PointerEvent) => {
    const rect = image.getBoundingClientRect();
    return { x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width), y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height) };
  };
  const draw = (a: { x: number; y: number }, b: { x: number; y: number }) => {
    box.style.display = 'block';
    box.style.left = `${Math.min(a.x, b.x)}px`;
    box.style.top = `${Math.min(a.y, b.y)}px`;
    box.style.width = `${Math.abs(a.x - b.x)}px`;
    box.style.height = `${Math.abs(a.y - b.y)}px`;
  };

  image.draggable = false;
  image.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    image.setPointerCapture(event.pointerId);
    start = local(event);
    draw(start, start);
  });
  image.addEventListener('pointermove', (event) => {
    if (start) draw(start, local(event));
  });
  image.addEventListener('pointerup', (event) => {
    if (!start) return;
    const end = local(event);
    const rect = image.getBoundingClientRect();
    const scaleX = naturalWidth / rect.width;
    const scaleY = naturalHeight / rect.height;
    const x = Math.round(Math.min(start.x, end.x) * scaleX);
    const y = Math.round(Math.min(start.y, end.y) * scaleY);
    const w = Math.min(naturalWidth - x, Math.round(Math.abs(end.x - start.x) * scaleX));
    const h = Math.min(naturalHeight - y, Math.round(Math.abs(end.y - start.y) * scaleY));
    start = undefined;
    if (w < 2 || h < 2) return;
    const row = chosenRow();
    const values: Record<string, number> = { x, y, w, h };
    for (const [axis, value] of Object.entries(values)) {
      const input = field(`r${row}_${axis}`);
      if (input) input.value = String(value);
    }
    // A video row with no times yet starts at the frame shown.
    const shownAt = document.querySelector<HTMLInputElement>('#still-t')?.value;
    const from = field(`r${row}_start`);
    if (from && !from.value && shownAt) from.value = shownAt;
  });

  // "Show this frame" swaps the still in place instead of opening the bare image.
  const stillForm = document.querySelector<HTMLFormElement>('[data-still-form]');
  stillForm?.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new URL(stillForm.action, location.href);
    for (const [name, value] of new FormData(stillForm)) if (typeof value === 'string') url.searchParams.set(name, value);
    image.src = url.toString();
    box.style.display = 'none';
  });
}
