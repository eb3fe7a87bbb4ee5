/**
 * The sync server: {@link dev.chord.server.ChordServer} (embeddable) and {@link
 * dev.chord.server.Main} (the command line). Everything else in the module is internal.
 */
module dev.chord.server {
  requires transitive dev.chord;
  requires dev.chord.redis;
  requires dev.chord.jdbc;
  requires dev.chord.filestore;
  requires dev.chord.micrometer;
  requires io.javalin;
  requires org.eclipse.jetty.server;
  requires org.eclipse.jetty.util;
  requires org.eclipse.jetty.websocket.api;
  requires org.eclipse.jetty.websocket.core.common;
  requires org.eclipse.jetty.websocket.core.server;
  requires org.eclipse.jetty.ee10.servlet;
  requires org.eclipse.jetty.ee10.websocket.jetty.server;
  requires org.eclipse.jetty.http;
  requires org.eclipse.jetty.io;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires micrometer.core;
  requires micrometer.registry.prometheus;
  requires micrometer.jetty12;
  requires com.zaxxer.hikari;
  requires java.sql;
  requires info.picocli;
  requires org.slf4j;
  requires jdk.unsupported; // sun.misc.Signal: SIGTERM ends the process with status 0 (Main)

  exports dev.chord.server;
  // Jetty creates WebSocket extensions by reflection (PerMessageDeflate)
  exports dev.chord.server.internal to
      org.eclipse.jetty.util;

  opens dev.chord.server to
      info.picocli;
}
