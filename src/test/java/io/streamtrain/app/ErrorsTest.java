package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;

class ErrorsTest {
  @Test
  void shouldHideAJaasLineWhateverItHolds() {
    String line =
        Errors.oneLine(
            new IllegalArgumentException(
                "bad client config sasl.jaas.config=org.apache.kafka.common.security.plain"
                    + ".PlainLoginModule required username=\"alice\" password=\"alice-s3cret\";"
                    + " for producer"));
    assertFalse(line.contains("alice-s3cret"), line);
    assertFalse(line.contains("PlainLoginModule"), line);
    assertTrue(line.contains("sasl.jaas.config=[hidden]") && line.endsWith("for producer"), line);
  }

  @Test
  void shouldHidePasswordsTokensUserInfoAndUrlCredentialsInTheWholeChain() {
    Exception e =
        new IllegalStateException(
            "Trainer stopped",
            new KafkaException(
                "cannot load ssl.keystore.password=k3ystore-pw, basic.auth.user.info=bob:pa55,"
                    + " bearer.auth.token: tok-123456 at http://bob:pa55@registry:8081/subjects"
                    + " with Authorization: Basic Ym9iOnBhNTU="));
    String line = Errors.oneLine(e);
    for (String secret : new String[] {"k3ystore-pw", "pa55", "tok-123456", "Ym9iOnBhNTU="}) {
      assertFalse(line.contains(secret), secret + " in " + line);
    }
    assertTrue(line.contains("ssl.keystore.password=[hidden]"), line);
    assertTrue(line.contains("http://[hidden]@registry:8081/subjects"), line);
  }

  @Test
  void shouldKeepMessagesWithoutSecretsAndTheHintsThatNameSettings() {
    String hint =
        "Schema Registry at http://localhost:8081 rejected the credentials (HTTP 401) for GET"
            + " /subjects: set basic.auth.user.info=user:password";
    assertEquals(hint, Errors.oneLine(new IllegalStateException(hint)));
    String plain = "--lr must be a positive number (got -1.0)";
    assertEquals(plain, Errors.oneLine(new IllegalArgumentException(plain)));
  }
}
