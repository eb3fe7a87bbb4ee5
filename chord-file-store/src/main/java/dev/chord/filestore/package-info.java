/**
 * {@link dev.chord.filestore.FileContextStore}: a {@link dev.chord.ContextExporter} and {@link
 * dev.chord.ContextProvider} that keeps one JSON file per context in a directory.
 */
@NullMarked
package dev.chord.filestore;

import org.jspecify.annotations.NullMarked;
