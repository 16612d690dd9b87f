/**
 * Renders the style cards and the direction choice from the manifest. DOM
 * only through the <template> in ModelPicker.astro: no HTML strings.
 */
import type { Direction, Generator, ModelEntry } from "../../../models/schema.ts";
import { pickVariant } from "../../../models/select.ts";
import type { Caps } from "./caps.ts";
import { formatBytes } from "./format.ts";
import { isOnDevice, sourceUrls } from "./model-store.ts";
import type { EngineName } from "./protocol.ts";

function part<T extends Element>(root: ParentNode, selector: string): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector} in the model card template`);
  return el;
}

/**
 * "2.0 MB download (int8)" for the variant this browser would use, by engine,
 * or "On this device (int8, 2.0 MB)" once it is cached here (also offline).
 */
export async function downloadNote(
  modelId: string,
  generator: Generator,
  engine: EngineName,
  caps: Caps,
): Promise<string> {
  const v = pickVariant(generator, { provider: engine, shaderF16: caps.shaderF16 });
  if (!v) return `no variant for ${engine}`;
  const size = formatBytes(v.bytes);
  return (await isOnDevice({ id: modelId, ...v }))
    ? `On this device (${v.dtype}, ${size})`
    : `${size} download (${v.dtype})`;
}

/**
 * Samples are served from the site's static copy only (the worker's route serves
 * model files); a missing one leaves the placeholder behind it showing. They
 * keep the template's alt="": they sit inside the radio's label, so any alt
 * text would come before the card title in the radio's name, and the title
 * and domains already say what the style does.
 */
function showSample(img: HTMLImageElement, id: string, file: string): void {
  img.addEventListener("error", () => img.remove(), { once: true });
  img.src = sourceUrls({ id, file }).static;
}

export function renderCards(
  container: HTMLElement,
  template: HTMLTemplateElement,
  models: readonly ModelEntry[],
  meta: (entry: ModelEntry) => string | Promise<string>,
  onSelect: (entry: ModelEntry) => void,
): Map<string, HTMLInputElement> {
  const radios = new Map<string, HTMLInputElement>();
  container.replaceChildren();
  for (const entry of models) {
    const card = template.content.firstElementChild?.cloneNode(true) as HTMLLabelElement;
    const radio = part<HTMLInputElement>(card, "input");
    radio.value = entry.id;
    radio.addEventListener("change", () => radio.checked && onSelect(entry));
    part(card, ".card-title").textContent = entry.title;
    part(card, ".card-domains").textContent = `${entry.domains.A.name} ↔ ${entry.domains.B.name}`;
    const metaText = part(card, ".card-meta");
    void Promise.resolve(meta(entry)).then((text) => {
      metaText.textContent = text;
    });
    card.title = entry.description;
    const sample = entry.samples.find((s) => s.direction === "AtoB") ?? entry.samples[0];
    const [a, b] = [
      part<HTMLImageElement>(card, ".thumb-a"),
      part<HTMLImageElement>(card, ".thumb-b"),
    ];
    if (sample) {
      showSample(a, entry.id, sample.input);
      showSample(b, entry.id, sample.output);
    } else {
      a.remove();
      b.remove();
    }
    radios.set(entry.id, radio);
    container.append(card);
  }
  return radios;
}

export function renderDirections(
  fieldset: HTMLFieldSetElement,
  container: HTMLElement,
  entry: ModelEntry,
  selected: Direction,
  onSelect: (d: Direction) => void,
): Direction {
  const available = entry.generators.map((g) => g.direction);
  const current = available.includes(selected) ? selected : (available[0] as Direction);
  container.replaceChildren();
  for (const dir of available) {
    const [from, to] =
      dir === "AtoB" ? [entry.domains.A, entry.domains.B] : [entry.domains.B, entry.domains.A];
    const label = document.createElement("label");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "direction";
    radio.value = dir;
    radio.checked = dir === current;
    radio.addEventListener("change", () => radio.checked && onSelect(dir));
    label.append(radio, `${from.name} → ${to.name}`);
    container.append(label);
  }
  fieldset.hidden = false;
  return current;
}
