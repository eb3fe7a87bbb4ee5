package dev.chord.server;

import java.util.function.UnaryOperator;

/** Starts an in-process server on a free loopback port. */
final class ServerFixture {
  private ServerFixture() {}

  static ChordServer start() {
    return start(b -> b);
  }

  static ChordServer start(UnaryOperator<ChordServer.Builder> settings) {
    return settings.apply(ChordServer.builder().host("127.0.0.1").port(0)).start();
  }
}
