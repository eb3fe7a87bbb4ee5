package dev.chord.server;

import dev.chord.DeltaRecord;

/**
 * One committed delta on its way to every connection of a context: rendered at most once per {@link
 * WireFormat}, however many clients receive it.
 */
final class SharedStep implements LiveEvent {
  private final DeltaRecord record;

  /** When this node learned of the commit ({@link System#nanoTime()}): where live lag starts. */
  private final long since = System.nanoTime();

  // Racy but benign: Strings are immutable, so a reader sees null (and renders again) or a whole
  // one.
  private final String[] rendered = new String[WireFormat.values().length];

  SharedStep(DeltaRecord record) {
    this.record = record;
  }

  DeltaRecord record() {
    return record;
  }

  long since() {
    return since;
  }

  String message(WireFormat format) {
    String text = rendered[format.ordinal()];
    if (text == null) {
      text = Json.write(Messages.patch(record, record.version() - 1, format));
      rendered[format.ordinal()] = text;
    }
    return text;
  }

  @Override
  public void deliverTo(LiveConnection connection) {
    connection.offer(this);
  }
}
