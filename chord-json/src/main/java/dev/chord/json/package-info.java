/**
 * {@link dev.chord.json.TypedJson}: JSON in which every JSON-like value reads back with its Java
 * type.
 */
@NullMarked
package dev.chord.json;

import org.jspecify.annotations.NullMarked;
