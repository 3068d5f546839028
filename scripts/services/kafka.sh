# shellcheck shell=bash
# Kafka: single-node KRaft (broker+controller in one JVM) from the Maven Central jars.
# There is no Kafka in Debian and no Docker here, so we resolve the broker's jars with Maven.

KAFKA_VERSION=4.1.1
# Kafka 4.1.1 itself ships log4j 2.24.3; we pin api+core+binding to one version so Maven's
# nearest-wins cannot mix log4j-api and log4j-core of different releases.
KAFKA_LOG4J_VERSION=2.24.3
KAFKA_PORT=${PANECAST_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${PANECAST_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_HOME=$CACHE/kafka-$KAFKA_VERSION
KAFKA_LIBS=$KAFKA_HOME/libs
# Maven's own repository lives in our cache too, so a brand-new cache really is from nothing
# and `rm -rf` of the cache is a clean reset.
KAFKA_MAVEN_REPO=${PANECAST_MAVEN_REPO:-$CACHE/maven-repo}

kafka_addr() { echo "127.0.0.1:$KAFKA_PORT"; }
kafka_env() { echo "export PANECAST_KAFKA_BROKERS=$(kafka_addr)"; }
kafka_ports() { echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT"; }  # checked free before a start

# A pom with the given <dependency> lines; the dependency plugin is pinned so the resolve
# does not depend on whichever default the installed Maven binds.
_kafka_pom() {
  cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>panecast.local</groupId><artifactId>kafka-libs</artifactId><version>0</version>
  <dependencies>$(for d in "$@"; do IFS=: read -r g a v <<<"$d"
    printf '\n    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>' "$g" "$a" "$v"; done)
  </dependencies>
  <build><pluginManagement><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>
  </plugin></plugins></pluginManagement></build>
</project>
EOF
}

_kafka_resolve() { # <out-dir> <g:a:v>...
  local out=$1; shift
  _kafka_pom "$@" >"$KAFKA_HOME/pom.xml"
  # jansi.noreset: Debian's Maven 3.8 prints stray colour-reset codes even with -q.
  MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true" mvn -q -B -f "$KAFKA_HOME/pom.xml" -Dmaven.repo.local="$KAFKA_MAVEN_REPO" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out" >&2
}

_kafka_install_locked() {
  local stamp="kafka=$KAFKA_VERSION log4j=$KAFKA_LOG4J_VERSION"
  [ "$(cat "$KAFKA_HOME/.complete" 2>/dev/null)" = "$stamp" ] && return 0
  command -v mvn >/dev/null && command -v java >/dev/null || die "kafka needs java (17+) and mvn on PATH"
  log "kafka: resolving kafka_2.13:$KAFKA_VERSION with Maven into $KAFKA_LIBS"
  local tmp="$KAFKA_HOME/libs.tmp" kafka="org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # Pass 1: the broker alone, to see which slf4j major its tree brings.
  _kafka_resolve "$tmp" "$kafka" || die "kafka: maven resolve failed"
  local slf4j binding
  slf4j=$(cd "$tmp" && ls slf4j-api-*.jar) || die "kafka: no slf4j-api in the resolved tree"
  # slf4j 2.x finds its backend via ServiceLoader (log4j-slf4j2-impl); 1.x via StaticLoggerBinder.
  case $slf4j in slf4j-api-1.*) binding=log4j-slf4j-impl ;; *) binding=log4j-slf4j2-impl ;; esac
  # Pass 2: add the logging backend (the artifact has none; without it Kafka logs nothing).
  local l=org.apache.logging.log4j
  _kafka_resolve "$tmp" "$kafka" "$l:log4j-api:$KAFKA_LOG4J_VERSION" \
    "$l:log4j-core:$KAFKA_LOG4J_VERSION" "$l:$binding:$KAFKA_LOG4J_VERSION" || die "kafka: maven resolve failed"
  # Pass 1 may have left other log4j versions behind; keep only the pinned one.
  find "$tmp" -name 'log4j-*.jar' ! -name "*-$KAFKA_LOG4J_VERSION.jar" -delete
  rm -rf "$KAFKA_LIBS" && mv "$tmp" "$KAFKA_LIBS"
  echo "$stamp" >"$KAFKA_HOME/.complete"
  log "kafka: $(ls "$KAFKA_LIBS" | wc -l) jars ($slf4j, $binding)"
}
kafka_install() { mkdir -p "$KAFKA_HOME" && with_lock "$KAFKA_HOME/.lock" _kafka_install_locked; }

_kafka_java() { java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$STATE/kafka/log4j2.properties" "$@"; }

kafka_start() {
  local dir=$STATE/kafka
  mkdir -p "$dir/data" "$STATE/logs"
  # Rewritten on every start so port overrides apply; data stays in $dir/data.
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=false
# Single node: every internal topic must accept one replica, or consumer groups,
# transactions and share groups never get a coordinator.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests create and join groups constantly; the 3 s default delay would slow every one.
group.initial.rebalance.delay.ms=0
EOF
  cat >"$dir/log4j2.properties" <<'EOF'
# Everything to the console (start_daemon sends it to .services/logs/kafka.log); stderr so
# StorageTool's stdout (the cluster id) stays clean.
appender.out.type=Console
appender.out.name=out
appender.out.target=SYSTEM_ERR
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
EOF
  # Format only once: re-formatting would wipe topics, and tests rely on data surviving
  # `down kafka` + `up kafka`. meta.properties is what the format step writes.
  if [ ! -f "$dir/data/meta.properties" ]; then
    local id
    id=$(_kafka_java kafka.tools.StorageTool random-uuid 2>>"$STATE/logs/kafka-format.log") || die "kafka: random-uuid failed"
    _kafka_java kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" --standalone \
      >>"$STATE/logs/kafka-format.log" 2>&1 || { tail -n 20 "$STATE/logs/kafka-format.log" >&2; die "kafka: storage format failed"; }
    log "kafka: formatted storage (cluster id $id)"
  fi
  start_daemon kafka java -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -cp "$KAFKA_LIBS/*" \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" kafka.Kafka "$dir/server.properties"
}

# Ready = the broker answers a real Metadata request and lists itself (not just an open port).
kafka_check() { node "$SERVICES_LIB_DIR/kafka-ready.mjs" 127.0.0.1 "$KAFKA_PORT" >/dev/null 2>&1; }
