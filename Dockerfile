FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=leadflow.settings.production
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir '.[s3]' \
 && SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput -v0 \
 && useradd --create-home leadflow && mkdir -p /app/var && chown -R leadflow /app/var
USER leadflow
EXPOSE 8000
CMD ["gunicorn", "leadflow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
