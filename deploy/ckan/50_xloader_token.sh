# Sourced by the CKAN image's start script after its prerun (database, DataStore permissions,
# sysadmin): gives xloader's jobs an API token of the sysadmin, once per ckan.ini.
if ! grep -q "^ckanext.xloader.api_token" "$CKAN_INI"; then
    echo "Ayni: creating the API token of ckanext-xloader"
    ckan config-tool "$CKAN_INI" \
        "ckanext.xloader.api_token=$(ckan -c "$CKAN_INI" user token add "${CKAN_SYSADMIN_NAME:-ckan_admin}" xloader | tail -n 1 | tr -d '\t')"
fi
