/**
 * A small Spring Boot application that serves rooms through Spring MVC on the auto-configured
 * {@link dev.chord.Chord} ({@code chord-spring-boot-starter}): {@link
 * dev.chord.examples.spring.RoomsApplication} and {@link dev.chord.examples.spring.RoomController}.
 *
 * <p>Nullness: every type here is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.chord.examples.spring;

import org.jspecify.annotations.NullMarked;
