package dev.chord.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Serves rooms over HTTP with Spring MVC: the {@code Chord} bean comes from {@code
 * chord-spring-boot-starter} and {@code application.properties} ({@code chord.*}); Actuator shows
 * its health ({@code /actuator/health}) and meters ({@code /actuator/metrics/chord.operations}).
 * See {@link RoomController} for the routes.
 */
@SpringBootApplication
public class RoomsApplication {
  /** Made by Spring. */
  public RoomsApplication() {}

  /** Starts the application (port 8080 unless {@code --server.port=…}). */
  public static void main(String[] args) {
    SpringApplication.run(RoomsApplication.class, args);
  }
}
