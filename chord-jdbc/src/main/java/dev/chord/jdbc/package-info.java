/**
 * Chord on PostgreSQL: {@link dev.chord.jdbc.PostgresBackend} and {@link
 * dev.chord.jdbc.JdbcContextStore}. Everything else in this package is internal.
 */
@NullMarked
package dev.chord.jdbc;

import org.jspecify.annotations.NullMarked;
