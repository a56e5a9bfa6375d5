"""The initial registry schema, and the append-only audit log (triggers per database).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('n_rows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    sa.UniqueConstraint('sha256', name=op.f('uq_import_batches_sha256'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('local_id', sa.String(length=32), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=False),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('birth_year BETWEEN 1900 AND 2100', name=op.f('ck_patients_birth_year')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patients_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('site_id', 'local_id', name='site_local_id')
    )
    op.create_table('diagnoses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_diagnoses_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnoses')),
    sa.UniqueConstraint('patient_id', 'code', name='patient_code')
    )
    op.create_table('implants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('therapy', sa.String(length=8), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=False),
    sa.Column('leads', sa.JSON(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('catheter', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_implants_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_implants'))
    )
    op.create_table('screenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('therapy', sa.String(length=8), nullable=False),
    sa.Column('indications', sa.JSON(), nullable=False),
    sa.Column('contraindications', sa.JSON(), nullable=False),
    sa.Column('psych_outcome', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_screenings_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screenings'))
    )
    op.create_table('trials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('therapy', sa.String(length=8), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('percent_relief', sa.Float(), nullable=True),
    sa.Column('paresthesia_overlap_pct', sa.Float(), nullable=True),
    sa.Column('analgesic_change', sa.String(length=32), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('success_rule', sa.String(length=64), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=True),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_trials_dates')),
    sa.CheckConstraint('percent_relief BETWEEN -100 AND 100', name=op.f('ck_trials_percent_relief')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_trials_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trials'))
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('visit', sa.String(length=16), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('in_window', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_visits_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('patient_id', 'visit', name='patient_visit')
    )
    op.create_table('complications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('implant_id', sa.Integer(), nullable=True),
    sa.Column('onset_date', sa.Date(), nullable=False),
    sa.Column('resolved_date', sa.Date(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('serious', sa.Boolean(), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.CheckConstraint('resolved_date IS NULL OR resolved_date >= onset_date', name=op.f('ck_complications_dates')),
    sa.ForeignKeyConstraint(['implant_id'], ['implants.id'], name=op.f('fk_complications_implant_id_implants')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_complications_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complications'))
    )
    op.create_table('programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('implant_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=400), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['implant_id'], ['implants.id'], name=op.f('fk_programs_implant_id_implants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs'))
    )
    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_responses_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('visit_id', 'instrument', name='visit_instrument')
    )
    op.create_table('revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('implant_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['implant_id'], ['implants.id'], name=op.f('fk_revisions_implant_id_implants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revisions'))
    )

    _append_only_audit_log()


_APPEND_ONLY = "audit_log is append-only"


def _append_only_audit_log() -> None:
    """UPDATE and DELETE on audit_log fail, on SQLite and on PostgreSQL."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{what.lower()} BEFORE {what} ON audit_log "
                       f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql "
                   f"AS $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$")
        op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
    else:
        raise NotImplementedError(f"append-only audit log on {dialect}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table('revisions')
    op.drop_table('responses')
    op.drop_table('programs')
    op.drop_table('complications')
    op.drop_table('visits')
    op.drop_table('trials')
    op.drop_table('screenings')
    op.drop_table('implants')
    op.drop_table('diagnoses')
    op.drop_table('patients')
    op.drop_table('sites')
    op.drop_table('import_batches')
    op.drop_table('audit_log')
