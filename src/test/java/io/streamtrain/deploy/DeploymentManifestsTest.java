package io.streamtrain.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Checks the deployment files (Dockerfile, docker-compose.yml, deploy/) without Docker or a
 * Kubernetes cluster: every YAML parses, every file they reference exists, the Strimzi topics carry
 * DESIGN.md's configs, images are pinned, and the trainer can never run twice at once.
 */
class DeploymentManifestsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path DEPLOY = ROOT.resolve("deploy");
  private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
  private static final Path GPU_COMPOSE = DEPLOY.resolve("docker-compose.gpu.yml");
  private static final Path LOCAL_COMPOSE = DEPLOY.resolve("compose.local.yml");
  private static final Path K8S_BASE = DEPLOY.resolve("k8s/base");
  private static final Path K8S_GPU = DEPLOY.resolve("k8s/overlays/gpu");

  /** DESIGN.md's topic table: partitions (null where the table leaves it open) and configs. */
  private record TopicSpec(Integer partitions, Map<String, String> configs) {}

  private static final Map<String, TopicSpec> DESIGN_TOPICS =
      Map.ofEntries(
          Map.entry("images.train", new TopicSpec(null, Map.of("retention.ms", "-1"))),
          Map.entry("images.test", new TopicSpec(null, Map.of("retention.ms", "-1"))),
          Map.entry(
              "train.feed",
              new TopicSpec(1, Map.of("cleanup.policy", "delete", "retention.ms", "86400000"))),
          Map.entry(
              "train.feed.live",
              new TopicSpec(1, Map.of("cleanup.policy", "delete", "retention.ms", "86400000"))),
          Map.entry("images.infer", new TopicSpec(4, Map.of())),
          Map.entry("predictions", new TopicSpec(4, Map.of())),
          Map.entry(
              "model.snapshots",
              new TopicSpec(
                  null,
                  Map.of(
                      "cleanup.policy", "compact",
                      "max.message.bytes", "16777216",
                      "min.compaction.lag.ms", "30000"))),
          Map.entry(
              "model.definitions",
              new TopicSpec(
                  1, Map.of("cleanup.policy", "compact", "max.message.bytes", "68157440"))),
          Map.entry("training.metrics", new TopicSpec(null, Map.of("retention.ms", "604800000"))),
          Map.entry("images.dlq", new TopicSpec(null, Map.of("retention.ms", "-1"))));

  private static final Set<String> STREAMTRAIN_COMMANDS =
      Set.of("broker", "topics", "produce", "replay", "train", "predict", "evaluate", "report");

  @Test
  void shouldParseEveryYamlFileUnderDeployAndTheComposeFile() throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(DEPLOY)) {
      files = walk.filter(p -> p.toString().matches(".*\\.ya?ml")).sorted().toList();
    }
    assertTrue(files.size() >= 10, "expected the deploy/ YAML files, found " + files);
    for (Path file : Stream.concat(files.stream(), Stream.of(COMPOSE)).toList()) {
      List<Object> docs = loadAll(file);
      assertFalse(docs.isEmpty(), file + " holds no YAML document");
      docs.forEach(doc -> assertNotNull(doc, file + " holds an empty YAML document"));
    }
  }

  @Test
  void shouldResolveEveryKustomizationReference() throws IOException {
    List<Path> kustomizations;
    try (Stream<Path> walk = Files.walk(DEPLOY)) {
      kustomizations =
          walk.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).toList();
    }
    assertTrue(kustomizations.contains(K8S_BASE.resolve("kustomization.yaml")));
    assertTrue(kustomizations.contains(K8S_GPU.resolve("kustomization.yaml")));
    for (Path kustomization : kustomizations) {
      Path dir = kustomization.getParent();
      List<Map<String, Object>> resources = kustomizeResources(dir);
      assertFalse(resources.isEmpty(), dir + " renders no resources");
      for (Object patchEntry : list(map(load(kustomization)).get("patches"))) {
        checkPatch(dir, map(patchEntry), resources);
      }
    }
  }

  @Test
  void shouldDefineEveryDesignTopicWithItsRequiredConfigs() {
    Map<String, Map<String, Object>> topics = new TreeMap<>();
    for (Map<String, Object> doc : ofKind(kustomizeResources(K8S_BASE), "KafkaTopic")) {
      assertEquals("kafka.strimzi.io/v1beta2", doc.get("apiVersion"));
      Map<String, Object> metadata = map(doc.get("metadata"));
      assertNotNull(
          map(metadata.get("labels")).get("strimzi.io/cluster"),
          "KafkaTopic " + metadata.get("name") + " lacks the strimzi.io/cluster label");
      Map<String, Object> spec = map(doc.get("spec"));
      topics.put((String) spec.get("topicName"), spec);
    }
    assertEquals(new TreeMap<>(DESIGN_TOPICS).keySet(), topics.keySet());
    assertFalse(topics.containsKey("_schemas"), "_schemas belongs to the Schema Registry");

    DESIGN_TOPICS.forEach(
        (name, expected) -> {
          Map<String, Object> spec = topics.get(name);
          if (expected.partitions() != null) {
            assertEquals(expected.partitions(), spec.get("partitions"), name + " partitions");
          }
          Map<String, Object> configs =
              spec.get("config") == null ? Map.of() : map(spec.get("config"));
          expected
              .configs()
              .forEach(
                  (key, value) ->
                      assertEquals(value, String.valueOf(configs.get(key)), name + " " + key));
        });
  }

  @Test
  void shouldRunExactlyOneTrainerThatNeverOverlapsWithItsSuccessor() {
    Map<String, Object> spec = map(deployment("streamtrain-trainer").get("spec"));
    assertEquals(1, spec.get("replicas"));
    assertEquals("Recreate", map(spec.get("strategy")).get("type"));
    Map<String, Object> podSpec = map(map(spec.get("template")).get("spec"));
    assertTrue(
        ((Number) podSpec.get("terminationGracePeriodSeconds")).intValue() >= 60,
        "the trainer needs time for its final snapshot");
    Map<String, Object> container = map(list(podSpec.get("containers")).get(0));
    List<Object> args = list(container.get("args"));
    assertEquals(List.of("train", "--follow"), args.subList(0, 2));
    assertProbes(container);
  }

  /**
   * Ready when /ready says so (the trainer's stream thread runs; a predictor serves a model), alive
   * while the metrics endpoint answers, both on the metrics port.
   */
  private static void assertProbes(Map<String, Object> container) {
    for (String kind : List.of("readinessProbe", "livenessProbe")) {
      Map<String, Object> probe = map(map(container.get(kind)).get("httpGet"));
      assertEquals(kind.equals("readinessProbe") ? "/ready" : "/metrics", probe.get("path"), kind);
      Object port = probe.get("port");
      assertEquals(9404, "metrics".equals(port) ? metricsContainerPort(container) : port, kind);
    }
  }

  @Test
  void shouldNotRunMorePredictorsThanImagesInferHasPartitions() {
    Map<String, Object> spec = map(deployment("streamtrain-predictor").get("spec"));
    int replicas = (Integer) spec.get("replicas");
    assertTrue(replicas >= 2, "the predictor scales out");
    int partitions = DESIGN_TOPICS.get("images.infer").partitions();
    assertTrue(replicas <= partitions, replicas + " predictors for " + partitions + " partitions");
    Map<String, Object> podSpec = map(map(spec.get("template")).get("spec"));
    Map<String, Object> container = map(list(podSpec.get("containers")).get(0));
    assertEquals("predict", list(container.get("args")).get(0));
    assertProbes(container);
  }

  @Test
  void shouldExposeMetricsToPrometheusOnPort9404() {
    List<Map<String, Object>> services = ofKind(kustomizeResources(K8S_BASE), "Service");
    assertEquals(1, services.size());
    Map<String, Object> service = services.get(0);
    Map<String, Object> annotations = map(map(service.get("metadata")).get("annotations"));
    assertEquals("true", annotations.get("prometheus.io/scrape"));
    assertEquals("9404", annotations.get("prometheus.io/port"));
    Map<String, Object> port = map(list(map(service.get("spec")).get("ports")).get(0));
    assertEquals(9404, port.get("port"));
  }

  @Test
  void shouldPassEndpointsAsFlagsToEveryStreamtrainContainer() {
    for (Map<String, Object> deployment : ofKind(kustomizeResources(K8S_BASE), "Deployment")) {
      Map<String, Object> podSpec =
          map(map(map(deployment.get("spec")).get("template")).get("spec"));
      for (Object container : list(podSpec.get("containers"))) {
        List<Object> args = list(map(container).get("args"));
        assertTrue(STREAMTRAIN_COMMANDS.contains(args.get(0)), "unknown command " + args.get(0));
        assertFlag(args, "--bootstrap", "$(STREAMTRAIN_BOOTSTRAP)");
        assertFlag(args, "--registry", "$(STREAMTRAIN_REGISTRY)");
        assertFlag(args, "--metrics-port", "9404");
      }
    }
  }

  @Test
  void shouldRequestAnNvidiaGpuAndTheCudaImageInTheGpuOverlay() {
    Map<String, Object> patch = map(load(K8S_GPU.resolve("trainer-gpu.yaml")));
    Map<String, Object> container =
        map(
            list(map(map(map(patch.get("spec")).get("template")).get("spec")).get("containers"))
                .get(0));
    assertEquals("trainer", container.get("name"));
    assertTrue(String.valueOf(container.get("image")).endsWith("-cuda"));
    Map<String, Object> limits = map(map(container.get("resources")).get("limits"));
    assertEquals(1, limits.get("nvidia.com/gpu"));

    List<Object> ops = list(load(K8S_GPU.resolve("trainer-device-gpu.yaml")));
    List<Object> appended = ops.stream().map(op -> map(op).get("value")).toList();
    assertEquals(List.of("--device", "gpu"), appended);
  }

  @Test
  void shouldReferenceOnlyExistingFilesAndServicesFromCompose() {
    Map<String, Object> services = composeServices(COMPOSE);
    assertTrue(
        services
            .keySet()
            .containsAll(List.of("kafka", "schema-registry", "topics", "trainer", "predictor")),
        "services: " + services.keySet());
    for (Path file : List.of(COMPOSE, GPU_COMPOSE, LOCAL_COMPOSE)) {
      composeServices(file)
          .forEach(
              (name, service) -> {
                assertTrue(services.containsKey(name), file + " overrides unknown service " + name);
                checkComposeFileReferences(name, map(service));
                Object dependsOn = map(service).get("depends_on");
                if (dependsOn != null) {
                  for (String dependency : map(dependsOn).keySet()) {
                    assertTrue(
                        services.containsKey(dependency), name + " depends on " + dependency);
                  }
                }
              });
    }
  }

  @Test
  void shouldPinEveryImage() throws IOException {
    List<String> images = new ArrayList<>();
    for (Path file : List.of(COMPOSE, GPU_COMPOSE)) {
      composeServices(file).values().forEach(s -> images.add((String) map(s).get("image")));
    }
    // Bases given as build arguments: their defaults.
    Matcher arg = Pattern.compile("(?m)^ARG \\w+_BASE=(\\S+)$").matcher(dockerfile());
    while (arg.find()) {
      images.add(arg.group(1));
    }
    Matcher from = Pattern.compile("(?m)^(?:FROM\\s+|COPY\\s+--from=)(\\S+)").matcher(dockerfile());
    while (from.find()) {
      String image = from.group(1);
      // Stage references (build, runtime-${VARIANT}) are not images.
      if (image.contains("/") || image.contains(":")) {
        images.add(image);
      }
    }
    assertTrue(images.size() >= 8, "images found: " + images);
    for (String image : images) {
      assertNotNull(image, "a compose service has neither image nor a pinned tag");
      String tag = image.substring(image.lastIndexOf('/') + 1);
      assertTrue(tag.contains(":"), image + " has no tag");
      assertFalse(tag.endsWith(":latest"), image + " is not pinned");
    }
  }

  @Test
  void shouldRunKafkaAsOneKraftNodeReachableFromComposeAndHost() {
    Map<String, Object> kafka = map(composeServices(COMPOSE).get("kafka"));
    String image = (String) kafka.get("image");
    assertTrue(image.startsWith("apache/kafka:"), image);
    assertTrue(
        compareVersions(image.substring("apache/kafka:".length()), "4.1.0") >= 0,
        image + " is older than 4.1.0");
    Map<String, Object> env = map(kafka.get("environment"));
    assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES"));
    for (String key :
        List.of(
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")) {
      assertEquals("1", String.valueOf(env.get(key)), key);
    }
    String advertised = (String) env.get("KAFKA_ADVERTISED_LISTENERS");
    assertTrue(advertised.contains("//localhost:9092"), advertised);
    assertTrue(list(kafka.get("ports")).contains("127.0.0.1:9092:9092"));
    composeServices(COMPOSE)
        .forEach(
            (name, service) -> {
              for (Object port : list(map(service).get("ports"))) {
                assertTrue(
                    String.valueOf(port).startsWith("127.0.0.1:"), name + " publishes " + port);
              }
            });

    // Every streamtrain service must point at a listener Kafka advertises, and at the registry.
    for (String name : List.of("topics", "trainer", "predictor")) {
      List<Object> command = list(map(composeServices(COMPOSE).get(name)).get("command"));
      assertTrue(STREAMTRAIN_COMMANDS.contains(command.get(0)), name + ": " + command);
      String bootstrap = flagValue(command, "--bootstrap");
      assertTrue(advertised.contains("//" + bootstrap), name + " uses " + bootstrap);
      assertEquals("http://schema-registry:8081", flagValue(command, "--registry"), name);
    }
  }

  @Test
  void shouldCreateTopicsOnceBeforeTrainerAndPredictorStart() {
    Map<String, Object> services = composeServices(COMPOSE);
    Map<String, Object> topics = map(services.get("topics"));
    assertEquals(List.of("topics", "create"), list(topics.get("command")).subList(0, 2));
    assertEquals("no", topics.get("restart"));
    for (String name : List.of("trainer", "predictor")) {
      Map<String, Object> service = map(services.get(name));
      assertEquals(
          "service_completed_successfully",
          map(map(service.get("depends_on")).get("topics")).get("condition"),
          name);
      assertNotNull(service.get("healthcheck"), name + " has no healthcheck");
      // Healthy means ready to train or serve, not merely that the metrics port answers.
      String check =
          String.join(
              " ",
              list(map(service.get("healthcheck")).get("test")).stream()
                  .map(String::valueOf)
                  .toList());
      assertTrue(
          check.contains("/dev/tcp/127.0.0.1/9404") && check.contains("GET /ready "),
          name + ": " + check);
    }
    Map<String, Object> trainer = map(services.get("trainer"));
    assertEquals(List.of("train", "--follow"), list(trainer.get("command")).subList(0, 2));
    assertTrue(
        parseComposeDuration((String) trainer.get("stop_grace_period")).toSeconds() >= 60,
        "the trainer needs time for its final snapshot");
  }

  @Test
  void shouldRunEveryComposeServiceFromTheLocalImageInTheLocalOverride() {
    Map<String, Object> local = composeServices(LOCAL_COMPOSE);
    // Services in a profile (Prometheus, Grafana) do not start by default and keep their images.
    Set<String> byDefault = new java.util.LinkedHashSet<>();
    composeServices(COMPOSE)
        .forEach(
            (name, service) -> {
              if (map(service).get("profiles") == null) {
                byDefault.add(name);
              }
            });
    assertEquals(byDefault, local.keySet());
    local.forEach(
        (name, service) -> {
          assertEquals("localhost/streamtrain:0.1.0-cpu", map(service).get("image"), name);
          Map<String, Object> args = map(map(map(service).get("build")).get("args"));
          // Podman 4.3 resolves the ARG-named stages only when both are passed.
          assertEquals("cpu", args.get("VARIANT"), name);
          assertEquals("host", args.get("JAR_FROM"), name);
        });
  }

  @Test
  void shouldReserveAnNvidiaGpuAndBuildCudaInTheComposeOverride() {
    Map<String, Object> trainer = map(composeServices(GPU_COMPOSE).get("trainer"));
    assertEquals("cuda", map(map(trainer.get("build")).get("args")).get("VARIANT"));
    assertFlag(list(trainer.get("command")), "--device", "gpu");
    Map<String, Object> device =
        map(
            list(map(map(map(trainer.get("deploy")).get("resources")).get("reservations"))
                    .get("devices"))
                .get(0));
    assertEquals("nvidia", device.get("driver"));
    assertTrue(list(device.get("capabilities")).contains("gpu"));
  }

  @Test
  void shouldBuildANonRootImageThatStopsOnSigterm() {
    String dockerfile = dockerfile();
    assertTrue(dockerfile.contains("\nARG BUILD_BASE=maven:3.9-eclipse-temurin-17\n"));
    assertTrue(dockerfile.contains("\nFROM ${BUILD_BASE} AS jar-build\n"));
    assertTrue(dockerfile.contains("\nARG RUNTIME_BASE=eclipse-temurin:17-jre\n"));
    assertTrue(dockerfile.contains("\nFROM ${RUNTIME_BASE} AS runtime-cpu\n"));
    // The public default builds the jar in the Maven stage; JAR_FROM=host takes target/'s.
    assertTrue(dockerfile.contains("\nARG JAR_FROM=build\n"));
    assertTrue(dockerfile.contains("\nFROM jar-${JAR_FROM} AS jar\n"));
    assertTrue(dockerfile.contains("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04 AS runtime-cuda"));
    assertTrue(dockerfile.contains("cuda) profile=\"-Pcuda\""), "VARIANT=cuda must build -Pcuda");
    assertTrue(dockerfile.contains("\nSTOPSIGNAL SIGTERM\n"));
    Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(dockerfile);
    String lastUser = null;
    while (user.find()) {
      lastUser = user.group(1);
    }
    assertNotNull(lastUser, "the image must not run as root");
    assertFalse(lastUser.equals("root") || lastUser.startsWith("0"), "runs as " + lastUser);
    Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT (\\[.*])$").matcher(dockerfile);
    assertTrue(entrypoint.find(), "ENTRYPOINT must use the exec form so java receives SIGTERM");
    assertTrue(entrypoint.group(1).contains("\"-Dai.djl.offline=true\""));
    assertTrue(entrypoint.group(1).endsWith("\"-jar\", \"/app/streamtrain.jar\"]"));
  }

  // ---- compose helpers ----

  private static Map<String, Object> composeServices(Path file) {
    return map(map(load(file)).get("services"));
  }

  private static void checkComposeFileReferences(String name, Map<String, Object> service) {
    Object build = service.get("build");
    if (build != null) {
      // Compose resolves paths in every -f file against the first file's directory.
      Path context = ROOT.resolve(String.valueOf(map(build).getOrDefault("context", ".")));
      assertTrue(Files.isDirectory(context), name + ": build context " + context);
      Path dockerfile =
          context.resolve(String.valueOf(map(build).getOrDefault("dockerfile", "Dockerfile")));
      assertTrue(Files.isRegularFile(dockerfile), name + ": " + dockerfile + " is missing");
    }
    Object extendsEntry = service.get("extends");
    if (extendsEntry instanceof Map<?, ?> extendsMap && extendsMap.get("file") != null) {
      assertTrue(Files.isRegularFile(ROOT.resolve(String.valueOf(extendsMap.get("file")))));
    }
    Object volumes = service.get("volumes");
    if (volumes != null) {
      for (Object volume : list(volumes)) {
        String source = String.valueOf(volume).split(":")[0];
        if (source.startsWith("./") || source.startsWith("../")) {
          assertTrue(Files.exists(ROOT.resolve(source).normalize()), name + " mounts " + source);
        }
      }
    }
  }

  /** Compose durations as used here: 1h, 90s, 1m30s. */
  private static Duration parseComposeDuration(String text) {
    Matcher m = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?").matcher(text);
    assertTrue(m.matches() && !text.isEmpty(), "unreadable duration " + text);
    return Duration.ofHours(m.group(1) == null ? 0 : Long.parseLong(m.group(1)))
        .plusMinutes(m.group(2) == null ? 0 : Long.parseLong(m.group(2)))
        .plusSeconds(m.group(3) == null ? 0 : Long.parseLong(m.group(3)));
  }

  private static String dockerfile() {
    try {
      return Files.readString(ROOT.resolve("Dockerfile"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Dockerfile at the repository root", e);
    }
  }

  // ---- kustomize helpers ----

  /** The documents a kustomization renders before patches: resources, recursively. */
  private static List<Map<String, Object>> kustomizeResources(Path dir) {
    Path kustomization = dir.resolve("kustomization.yaml");
    assertTrue(Files.isRegularFile(kustomization), dir + " has no kustomization.yaml");
    Map<String, Object> k = map(load(kustomization));
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object entry : list(k.getOrDefault("resources", List.of()))) {
      Path resource = dir.resolve(String.valueOf(entry)).normalize();
      assertTrue(Files.exists(resource), kustomization + " lists missing resource " + entry);
      if (Files.isDirectory(resource)) {
        docs.addAll(kustomizeResources(resource));
      } else {
        for (Object doc : loadAll(resource)) {
          Map<String, Object> m = map(doc);
          assertNotNull(m.get("apiVersion"), resource + ": a document without apiVersion");
          assertNotNull(m.get("kind"), resource + ": a document without kind");
          assertNotNull(map(m.get("metadata")).get("name"), resource + ": a nameless document");
          docs.add(m);
        }
      }
    }
    for (Object generator : list(k.getOrDefault("configMapGenerator", List.of()))) {
      for (Object file : list(map(generator).getOrDefault("files", List.of()))) {
        String path = String.valueOf(file);
        path = path.substring(path.indexOf('=') + 1); // "key=path" or "path"
        assertTrue(
            Files.isRegularFile(dir.resolve(path)), kustomization + " generates from " + path);
      }
    }
    return docs;
  }

  /** A patch file exists, parses, and names a resource the kustomization renders. */
  private static void checkPatch(
      Path dir, Map<String, Object> entry, List<Map<String, Object>> resources) {
    Object pathEntry = entry.get("path");
    if (pathEntry == null) {
      assertNotNull(entry.get("patch"), dir + ": a patch with neither path nor patch");
      return;
    }
    Path patch = dir.resolve(String.valueOf(pathEntry));
    assertTrue(Files.isRegularFile(patch), dir + " patches with missing " + pathEntry);
    Object doc = load(patch);
    String kind;
    String name;
    if (entry.get("target") != null) {
      kind = (String) map(entry.get("target")).get("kind");
      name = (String) map(entry.get("target")).get("name");
      if (doc instanceof List<?> ops) {
        ops.forEach(op -> assertNotNull(map(op).get("op"), patch + ": a JSON patch without op"));
      }
    } else {
      kind = (String) map(doc).get("kind");
      name = (String) map(map(doc).get("metadata")).get("name");
    }
    boolean found =
        resources.stream()
            .anyMatch(
                r -> r.get("kind").equals(kind) && map(r.get("metadata")).get("name").equals(name));
    assertTrue(found, patch + " targets " + kind + "/" + name + ", which " + dir + " lacks");
  }

  private static Map<String, Object> deployment(String name) {
    return ofKind(kustomizeResources(K8S_BASE), "Deployment").stream()
        .filter(d -> name.equals(map(d.get("metadata")).get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Deployment " + name + " in " + K8S_BASE));
  }

  private static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  private static int metricsContainerPort(Map<String, Object> container) {
    return list(container.get("ports")).stream()
        .map(DeploymentManifestsTest::map)
        .filter(p -> "metrics".equals(p.get("name")))
        .map(p -> (Integer) p.get("containerPort"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no port named metrics"));
  }

  // ---- generic helpers ----

  private static void assertFlag(List<Object> args, String flag, String value) {
    assertEquals(value, flagValue(args, flag), flag + " in " + args);
  }

  private static String flagValue(List<Object> args, String flag) {
    int i = args.indexOf(flag);
    return i < 0 || i + 1 >= args.size() ? null : String.valueOf(args.get(i + 1));
  }

  private static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int xi = i < x.length ? Integer.parseInt(x[i]) : 0;
      int yi = i < y.length ? Integer.parseInt(y[i]) : 0;
      if (xi != yi) {
        return Integer.compare(xi, yi);
      }
    }
    return 0;
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  private static Object load(Path file) {
    List<Object> docs = loadAll(file);
    assertEquals(1, docs.size(), file + " should hold one YAML document");
    return docs.get(0);
  }

  private static List<Object> loadAll(Path file) {
    try (Reader reader = Files.newBufferedReader(file)) {
      List<Object> docs = new ArrayList<>();
      yaml().loadAll(reader).forEach(docs::add);
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (RuntimeException e) {
      fail(file + " is not valid YAML: " + e.getMessage());
      throw e;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    if (value == null) {
      return new LinkedHashMap<>();
    }
    assertInstanceOf(Map.class, value, "expected a YAML mapping, got " + value);
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    if (value == null) {
      return List.of();
    }
    assertInstanceOf(List.class, value, "expected a YAML sequence, got " + value);
    return (List<Object>) value;
  }
}
