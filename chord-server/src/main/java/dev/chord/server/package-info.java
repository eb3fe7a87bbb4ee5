/**
 * The Chord sync server: an HTTP/JSON API and WebSocket push over a {@link dev.chord.Chord}, the
 * browser client ({@code /chord-client.js}) and the team-room demo ({@code /}).
 *
 * <p>Public: {@link dev.chord.server.ChordServer} (embed and start a server), {@link
 * dev.chord.server.Tokens} and {@link dev.chord.server.Right} (mint bearer tokens), {@link
 * dev.chord.server.Main} (the command line). Everything else is package-private.
 */
package dev.chord.server;
