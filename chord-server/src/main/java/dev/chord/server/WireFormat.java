package dev.chord.server;

import dev.chord.DeltaFormatter;
import dev.chord.DeltaFormatters;
import dev.chord.DeltaRecord;

/** The delta formats a client can ask for with {@code ?format=}. */
enum WireFormat {
  CHORD("chord", DeltaFormatters.chord()),
  JSON_PATCH("json-patch", DeltaFormatters.jsonPatch()),
  NESTED("nested", DeltaFormatters.nested());

  private final String wireName;
  private final DeltaFormatter<?> formatter;

  WireFormat(String wireName, DeltaFormatter<?> formatter) {
    this.wireName = wireName;
    this.formatter = formatter;
  }

  Object format(DeltaRecord record) {
    return formatter.format(record);
  }

  /**
   * The format named by a {@code format} query parameter; {@code null} means {@code chord}.
   *
   * @throws ApiException 400 for an unknown name
   */
  static WireFormat parse(String name) {
    if (name == null) {
      return CHORD;
    }
    for (WireFormat format : values()) {
      if (format.wireName.equals(name)) {
        return format;
      }
    }
    throw ApiException.badRequest("unknown format '" + name + "'; use chord, json-patch or nested");
  }
}
