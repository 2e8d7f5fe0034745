from notification_service.app import definition
from shared.service import main

main(definition)
