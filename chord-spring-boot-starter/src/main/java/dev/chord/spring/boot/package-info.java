/**
 * Spring Boot auto-configuration for Chord: {@link dev.chord.spring.boot.ChordAutoConfiguration}
 * builds one {@link dev.chord.Chord} bean from {@link dev.chord.spring.boot.ChordProperties}
 * ({@code chord.*}); {@link dev.chord.spring.boot.ChordBuilderCustomizer} beans adjust the builder.
 *
 * <p>Nullness: every type here is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.chord.spring.boot;

import org.jspecify.annotations.NullMarked;
