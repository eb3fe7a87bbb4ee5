/**
 * The real services the tests talk to, found or started on loopback: {@link
 * dev.chord.testsupport.RedisServers}, {@link dev.chord.testsupport.PostgresServers}, {@link
 * dev.chord.testsupport.Chromium}. Nothing here installs software: that is {@code .ci/run}'s job. A
 * service that cannot be had skips the test, except with {@code CI=true}, where it fails it.
 * Endpoints can be overridden by a system property or an environment variable (each class says
 * which), as Lettuce's {@code TestSettings} does.
 */
@NullMarked
package dev.chord.testsupport;

import org.jspecify.annotations.NullMarked;
