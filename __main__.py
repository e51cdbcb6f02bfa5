"""wms-connector: one stack per stage. Reads the stage's config and wires the components; nothing else.

Everything that can be wrong with the input (stage name, config, secrets) fails in the first three steps,
before any resource is registered. New components take `opts=stack_options` and what they need from the
components above them (network.lambda_security_group, roles, alerts.topic, connect.service, ...).
"""

import pulumi

from components.admin_function import AdminFunction, AdminFunctionArgs
from components.alarms import Alarms, AlarmsArgs
from components.alerts import Alerts, AlertsArgs
from components.connect_cluster import ConnectCluster, ConnectClusterArgs
from components.connector import Connector, ConnectorArgs
from components.dashboard import Dashboard, DashboardArgs
from components.endpoint import ConnectEndpoint, ConnectEndpointArgs
from components.health import HealthArgs, HealthCheck
from components.health_table import HealthTable
from components.iam import RoleFactory
from components.image import ConnectImage, ConnectImageArgs
from components.lambda_package import lambda_code
from components.lookups import resolve_aws_context
from components.network import Network, NetworkArgs
from components.provider import stage_options, stage_provider
from components.stack_config import aws_region, project_config, secret_config_keys
from components.topic_cleanup import TopicCleanup, TopicCleanupArgs
from components.vpc_lambda import LambdaFactory
from wms_connector.settings import CONNECTOR_OPTIONS_KEY, load_settings
from wms_connector.settings.safeguards import check_named_stage_safeguards
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

# 1. Stage, settings and secrets: validated before anything is created.
stage = Stage.parse(pulumi.get_stack())
settings = load_settings(stage, project_config(), aws_region=aws_region())
check_named_stage_safeguards(settings)
context = resolve_aws_context(settings)
secrets = context.secrets
topics = StageTopics(stage)

# 2. Resources.
stack_options = stage_options(stage_provider(settings))
roles = RoleFactory(stage, secrets.iam_path, secrets.permissions_boundary_arn)

network = Network(
    "network",
    NetworkArgs(
        stage=stage,
        vpc=secrets.vpc,
        vpc_cidr=context.vpc_cidr,
        oracle_cidrs=settings.network.oracle_cidrs,
        oracle_port=settings.network.oracle_port,
        kafka_cidrs=settings.network.kafka_cidrs,
        kafka_ports=secrets.broker.ports,
        aws_endpoint_security_group=settings.network.aws_endpoint_security_group,
        aws_prefix_lists=settings.network.aws_prefix_lists,
    ),
    opts=stack_options,
)
image = ConnectImage(
    "image",
    ConnectImageArgs(stage=stage, partition=context.partition, prebuilt_image=settings.deployment.image),
    opts=stack_options,
)
endpoint = ConnectEndpoint(
    "endpoint",
    ConnectEndpointArgs(stage=stage, network=network, private_ca_arn=secrets.private_ca_arn),
    opts=stack_options,
)
lambdas = LambdaFactory(roles, network, lambda_code(), settings.logs.retention_days)
# Before the admin: it writes the hold and the declared connector there in the call that changes the connector.
health_table = HealthTable("health-table", stage, opts=stack_options)
admin = AdminFunction(
    "admin",
    AdminFunctionArgs(
        settings=settings,
        lambdas=lambdas,
        connect_url=endpoint.url,
        private_ca_arn=secrets.private_ca_arn,
        bootstrap_servers=secrets.broker.bootstrap_servers,
        db_info_arn=secrets.db_info_arn,
        account_id=context.account_id,
        partition=context.partition,
        health_table_name=health_table.table.name,
        health_table_arn=health_table.table.arn,
    ),
    opts=stack_options,
)
# Ephemeral stages only. Destroy order: Connect service, then this (deletes the stage's topics), then the admin.
topic_cleanup = TopicCleanup.for_stage(
    "topic-cleanup",
    TopicCleanupArgs(stage, settings.region, admin.function_name, depends_on=[admin, network]),
    opts=stack_options,
)
connect = ConnectCluster(
    "connect",
    ConnectClusterArgs(
        settings=settings,
        topics=topics,
        network=network,
        endpoint=endpoint,
        image=image,
        roles=roles,
        bootstrap_servers=secrets.broker.bootstrap_servers,
        db_info_arn=secrets.db_info_arn,
    ),
    opts=pulumi.ResourceOptions.merge(
        stack_options, pulumi.ResourceOptions(depends_on=[topic_cleanup] if topic_cleanup else [])
    ),
)
connector = Connector(
    "connector",
    ConnectorArgs(
        settings=settings,
        topics=topics,
        bootstrap_servers=secrets.broker.bootstrap_servers,
        admin_function_name=admin.function_name,
        admin_read_function_name=admin.read_function_name,
        depends_on=[connect, endpoint, admin, network],
        options_are_secret=CONNECTOR_OPTIONS_KEY in secret_config_keys(),
    ),
    opts=stack_options,
)
alerts = Alerts(
    "alerts",
    AlertsArgs(
        stage=stage,
        account_id=context.account_id,
        partition=context.partition,
        emails=secrets.alert_emails,
        connect=connect,
    ),
    opts=stack_options,
)
health = HealthCheck(
    "health",
    HealthArgs(
        settings=settings,
        topics=topics,
        lambdas=lambdas,
        account_id=context.account_id,
        partition=context.partition,
        connect=connect,
        connect_url=endpoint.url,
        private_ca_arn=secrets.private_ca_arn,
        db_info_arn=secrets.db_info_arn,
        bootstrap_servers=secrets.broker.bootstrap_servers,
        table=health_table.table,
        start_after=[connector],
    ),
    opts=stack_options,
)
alarms = Alarms(
    "alarms",
    AlarmsArgs(
        settings=settings,
        connector=topics.connector_name,
        topic_arn=alerts.topic.arn,
        health_function_name=health.function_name,
        worker_log_group_name=connect.log_group.name,
    ),
    opts=stack_options,
)
dashboard = Dashboard(
    "dashboard",
    DashboardArgs(
        settings=settings,
        connector=topics.connector_name,
        cluster_name=connect.cluster.name,
        service_name=connect.service.name,
        health_function_name=health.function_name,
        alarm_arns=[alarm.arn for alarm in alarms.alarms.values()],
    ),
    opts=stack_options,
)

# 3. Outputs.
pulumi.export("stage", stage.name)
pulumi.export("clusterName", connect.cluster.name)
pulumi.export("serviceName", connect.service.name)
pulumi.export("connectEndpointUrl", endpoint.url)
pulumi.export("alertTopicArn", alerts.topic.arn)
pulumi.export("logGroupName", connect.log_group.name)
pulumi.export("dataTopics", list(topics.data_topics))
pulumi.export("connectInternalTopics", list(topics.connect_internal_topics))
pulumi.export("schemaHistoryTopic", topics.schema_history_topic)
pulumi.export("heartbeatTopic", topics.heartbeat_topic)
pulumi.export("connectorName", connector.connector_name)
pulumi.export("connectorState", connector.connector_state)
pulumi.export("healthFunctionName", health.function_name)
pulumi.export("healthTableName", health.table.name)
pulumi.export("dashboardName", dashboard.dashboard.dashboard_name)
