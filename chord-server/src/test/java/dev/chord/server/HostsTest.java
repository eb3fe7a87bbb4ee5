package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which {@code Host} headers a server answers to, from its bind address and its settings. */
class HostsTest {

  @Test
  void byDefault_loopbackNamesTheBindHostAndTheOriginsHosts_onAnyPort() {
    Hosts hosts = Hosts.of("192.168.1.5", null, List.of("app.example.com"));
    for (String host :
        List.of(
            "localhost:7070",
            "LOCALHOST:7070",
            "127.0.0.1:7070",
            "[::1]:7070",
            "192.168.1.5:7070",
            "192.168.1.5",
            "app.example.com:7070")) {
      assertThat(hosts.allows(host, 80)).as(host).isTrue();
    }
    for (String host :
        List.of(
            "attacker.example:7070",
            "attacker.example",
            "localhost.attacker.example:7070",
            "127.0.0.2:7070",
            "192.168.1.6:7070",
            "",
            "localhost:7070:1",
            "local host",
            "localhost:99999")) {
      assertThat(hosts.allows(host, 80)).as(host).isFalse();
    }
    assertThat(hosts.allows(null, 80)).as("no Host at all").isFalse();
    assertThat(hosts.unprotected()).isFalse();
  }

  @Test
  void aWildcardBind_withNoNamesGiven_answersToAnyName_andSaysItIsUnprotected() {
    for (String wildcard : List.of("0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0")) {
      Hosts hosts = Hosts.of(wildcard, null, List.of());
      assertThat(hosts.allows("attacker.example:7070", 80)).as(wildcard).isTrue();
      assertThat(hosts.unprotected()).as(wildcard).isTrue();
    }
    Hosts named = Hosts.of("0.0.0.0", List.of("chord.example.com"), List.of());
    assertThat(named.unprotected()).isFalse();
    assertThat(named.allows("chord.example.com:7070", 80)).isTrue();
    assertThat(named.allows("localhost:7070", 80)).isTrue();
    assertThat(named.allows("attacker.example:7070", 80)).isFalse();
    assertThat(named.allows("0.0.0.0:7070", 80)).as("the wildcard is no name").isFalse();
  }

  @Test
  void aSpecificBindAddress_isOneOfItsNames() {
    assertThat(Hosts.of("::1", null, List.of()).allows("[::1]:7070", 80)).isTrue();
    assertThat(Hosts.of("fd00::5", null, List.of()).allows("[FD00::5]:7070", 80)).isTrue();
    assertThat(Hosts.of("chord.lan", null, List.of()).allows("chord.lan:7070", 80)).isTrue();
    assertThat(Hosts.of("chord.lan", null, List.of()).unprotected()).isFalse();
  }

  @Test
  void givenNames_withOrWithoutAPort_andStarForAny() {
    Hosts hosts =
        Hosts.of(
            "127.0.0.1",
            List.of(" chord.example.com ", "api.example.com:8443", "[fd00::5]:7070", "fd00::6"),
            List.of());
    assertThat(hosts.allows("chord.example.com:1", 80)).isTrue();
    assertThat(hosts.allows("api.example.com:8443", 80)).isTrue();
    assertThat(hosts.allows("api.example.com:8080", 80)).isFalse();
    assertThat(hosts.allows("api.example.com", 80)).as("a Host without port: 80").isFalse();
    assertThat(hosts.allows("api.example.com", 8443)).isTrue();
    assertThat(hosts.allows("[fd00::5]:7070", 80)).isTrue();
    assertThat(hosts.allows("[fd00::5]:7071", 80)).isFalse();
    assertThat(hosts.allows("[fd00::6]:1", 80)).isTrue();

    Hosts any = Hosts.of("127.0.0.1", List.of("*"), List.of());
    assertThat(any.allows("attacker.example:7070", 80)).isTrue();
    assertThat(any.unprotected()).as("asked for").isFalse();
  }

  @Test
  void malformedEntries_areRefused_namingTheEntry() {
    for (String bad :
        List.of("", "http://chord.example.com", "chord.example.com/", "a b", "host:0", "host:x")) {
      assertThatThrownBy(() -> Hosts.entries(List.of(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
    assertThatThrownBy(() -> ChordServer.builder().allowedHosts(List.of("https://x.example")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
